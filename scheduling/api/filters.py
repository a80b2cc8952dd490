import django_filters
from django import forms

from scheduling.models import Appointment, AppointmentStatus

MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """A whole, in-range id: `1.5` or `2**80` is a 400, not a truncated or overflowing query."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class AppointmentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=AppointmentStatus.choices)
    start_after = django_filters.IsoDateTimeFilter(
        field_name="start", lookup_expr="gte", label="Starts at or after (ISO-8601)"
    )
    start_before = django_filters.IsoDateTimeFilter(
        field_name="start", lookup_expr="lt", label="Starts before (ISO-8601)"
    )
    provider = IdFilter(field_name="provider_id")
    service = IdFilter(field_name="service_id")

    class Meta:
        model = Appointment
        fields = ["status", "start_after", "start_before", "provider", "service"]
