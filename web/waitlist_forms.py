"""Forms of the waitlist pages: join (from the booking page, or to move an appointment
earlier), change an entry. They check the shape only; the waitlist's services decide, and
their field errors are put back on these forms (`apply_service_errors`)."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory

from providers.models import Urgency
from providers.selectors import provider_list, service_list
from waitlist.services import RangeInput
from waitlist.services.entries import MAX_RANGES
from web.params import id_or_none
from web.widgets import DateInput, TimeInput

EXTRA_RANGES = 2
DEFAULT_WAIT_DAYS = 30
RANGE_ERROR = re.compile(r"^ranges\[(\d+)\]\.(\w+)$")


class WaitlistRangeForm(forms.Form):
    """Days and wall-clock times the client could come, in their own zone."""

    first_date = forms.DateField(label="From", widget=DateInput)
    last_date = forms.DateField(label="To", widget=DateInput)
    earliest = forms.TimeField(label="Earliest start", widget=TimeInput)
    latest = forms.TimeField(label="Latest end", widget=TimeInput)

    def as_range(self) -> RangeInput:
        data = self.cleaned_data
        return RangeInput(data["first_date"], data["last_date"], data["earliest"], data["latest"])


class BaseRangeFormSet(forms.BaseFormSet):
    def _construct_form(self, i, **kwargs):
        # Any row may be emptied (an entry's second range removed), as long as one is left
        # (`validate_min`).
        form = super()._construct_form(i, **kwargs)
        form.empty_permitted = True
        form.use_required_attribute = False
        return form


RangeFormSet = formset_factory(
    WaitlistRangeForm,
    formset=BaseRangeFormSet,
    extra=EXTRA_RANGES,
    min_num=1,
    max_num=MAX_RANGES,
    validate_min=True,
    validate_max=True,
)


def range_formset(*, data=None, initial: list[dict] | None = None, prefix: str = "ranges"):
    """The rows, with `initial` shown unbound only: bound, a row is what was posted (a row
    left as shown counts, a row emptied is dropped)."""
    return RangeFormSet(data=data, initial=None if data is not None else initial, prefix=prefix)


def default_range(today: date, last: date | None = None) -> dict:
    return {
        "first_date": today,
        "last_date": last or today + timedelta(days=13),
        "earliest": time(9),
        "latest": time(17),
    }


def filled_ranges(formset) -> list[tuple[int, RangeInput]]:
    """(form index, range) of the rows the client filled in, in order."""
    # A blank extra row is valid and cleans to {}.
    return [
        (index, form.as_range()) for index, form in enumerate(formset.forms) if form.cleaned_data
    ]


class WaitlistEntryForm(forms.Form):
    """What changes on an entry: how urgent, until when."""

    urgency = forms.ChoiceField(label="How soon do you need it?", choices=Urgency.choices)
    expires_on = forms.DateField(label="Keep waiting until", widget=DateInput)


SHORT_NOTICE_LABEL = "I can come at short notice"
SHORT_NOTICE_HELP = (
    "If an appointment in your times looks likely to be missed, we may put you first in line "
    "for it. If it frees, we hold it for you and tell you at once."
)


def short_notice_field() -> forms.BooleanField:
    return forms.BooleanField(label=SHORT_NOTICE_LABEL, required=False, help_text=SHORT_NOTICE_HELP)


class WaitlistEntryChangeForm(WaitlistEntryForm):
    """An entry's own page: its urgency, expiry and whether they can come at short notice."""

    short_notice = short_notice_field()


class WaitlistJoinForm(WaitlistEntryForm):
    service = forms.ModelChoiceField(
        label="Service", queryset=None, empty_label="Choose a service…"
    )
    provider = forms.ModelChoiceField(
        label="Provider (optional)", queryset=None, required=False, empty_label="Any provider"
    )

    short_notice = short_notice_field()

    field_order = ["service", "provider", "urgency", "expires_on", "short_notice"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = service_list()
        self.fields["provider"].queryset = provider_list()


def apply_service_errors(error: ValidationError, form, formset, indices: list[int]) -> None:
    """Put a service's field errors on the form field (or the range row) they name.
    `indices[i]` is the form of the i-th range given to the service."""
    for key, messages in error.message_dict.items():
        match = RANGE_ERROR.match(key)
        for message in messages:
            if match and int(match[1]) < len(indices):
                row = formset.forms[indices[int(match[1])]]
                field = match[2] if match[2] in row.fields else None
                row.add_error(field, message)
            elif key in form.fields:
                form.add_error(key, message)
            else:
                form.add_error(None, message)


def join_forms(*, today: date, data=None, service: str = "") -> dict:
    """The join form and its range rows, as the booking page and the join page show them;
    `today` is the client's own date."""
    initial = {
        "expires_on": today + timedelta(days=DEFAULT_WAIT_DAYS),
        "service": id_or_none(service),
    }
    return {
        "join_form": WaitlistJoinForm(data=data, initial=initial),
        "ranges": range_formset(data=data, initial=[default_range(today)]),
    }
