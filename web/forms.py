"""Forms of the staff pages (the admin index's dashboard filters, the staff reschedule)."""

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import validate_timezone_name
from analytics.selectors import DashboardQuery, build_query
from providers.models import Provider, Service


class DashboardFilterForm(forms.Form):
    # A date input shows only ISO dates; the locale's format (14/12/2025) leaves it empty.
    start = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.order_by("display_name"), required=False
    )
    service = forms.ModelChoiceField(queryset=Service.objects.order_by("name"), required=False)
    tz = forms.CharField(
        required=False, label="Time zone", validators=[validate_timezone_name], max_length=64
    )

    def __init__(self, *args, default_tz: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.default_tz = default_tz
        self.fields["tz"].widget.attrs["placeholder"] = default_tz

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["query"] = build_query(
                start=data.get("start"),
                end=data.get("end"),
                tz=data.get("tz") or self.default_tz,
                provider=data.get("provider"),
                service=data.get("service"),
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field, message)
        return data

    @property
    def query(self) -> DashboardQuery:
        return self.cleaned_data["query"]


class RescheduleForm(forms.Form):
    new_start = forms.DateTimeField(label="New start (UTC)")
    reason = forms.CharField(max_length=500, required=False)
