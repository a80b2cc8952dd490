import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from scheduling.models import Appointment, AppointmentStatus
from smartbook.api.fields import MAX_ID, RANGE_MESSAGE, api_instant


class IdFilter(django_filters.NumberFilter):
    """A whole, in-range id: `1.5` or `2**80` is a 400, not a truncated or overflowing query."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class _UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO-8601 instant as UTC, within the API's range: an offset the database refuses
    (PostgreSQL takes at most 15:59) or year 244 is a 400, not a 500."""

    def clean(self, value):
        value = super().clean(value)  # aware: a naive time is read in the current zone
        if value is None:
            return None
        instant = api_instant(value)
        if instant is None:
            raise forms.ValidationError(RANGE_MESSAGE, code="range")
        return instant


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = _UtcIsoDateTimeField


class AppointmentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=AppointmentStatus.choices)
    start_after = UtcDateTimeFilter(
        field_name="start", lookup_expr="gte", label="Starts at or after (ISO-8601)"
    )
    start_before = UtcDateTimeFilter(
        field_name="start", lookup_expr="lt", label="Starts before (ISO-8601)"
    )
    provider = IdFilter(field_name="provider_id")
    service = IdFilter(field_name="service_id")

    class Meta:
        model = Appointment
        fields = ["status", "start_after", "start_before", "provider", "service"]
