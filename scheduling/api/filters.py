import django_filters

from scheduling.models import Appointment, AppointmentStatus


class AppointmentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=AppointmentStatus.choices)
    start_after = django_filters.IsoDateTimeFilter(
        field_name="start", lookup_expr="gte", label="Starts at or after (ISO-8601)"
    )
    start_before = django_filters.IsoDateTimeFilter(
        field_name="start", lookup_expr="lt", label="Starts before (ISO-8601)"
    )
    provider = django_filters.NumberFilter(field_name="provider_id")
    service = django_filters.NumberFilter(field_name="service_id")

    class Meta:
        model = Appointment
        fields = ["status", "start_after", "start_before", "provider", "service"]
