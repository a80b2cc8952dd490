"""Shapes of the providers API. Input serializers check shape only; the services decide."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from providers.models import Provider, Service, ServiceCategory, Urgency, WorkingHours
from smartbook.api.serializers import InputSerializer

# --- query parameters --------------------------------------------------------------------


class ServiceListFilterSerializer(serializers.Serializer):
    category = serializers.CharField(
        required=False, max_length=100, help_text="Only services of this category (id or slug)."
    )


class ProviderListFilterSerializer(serializers.Serializer):
    service = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Only providers offering this active service (its id).",
    )


# --- output ------------------------------------------------------------------------------


class PublicServiceCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceCategory
        fields = ["id", "name", "slug"]


class PublicServiceSerializer(serializers.ModelSerializer):
    category = PublicServiceCategorySerializer()
    accepted_urgencies = serializers.ListField(
        child=serializers.ChoiceField(choices=Urgency.choices),
        help_text="Urgency levels this service can be booked with.",
    )

    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "description",
            "category",
            "duration_minutes",
            "price",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "accepted_urgencies",
            "capacity",
            "min_participants",
            "minimum_deadline_hours",
        ]


class ProviderServiceBriefSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name")

    class Meta:
        model = Service
        fields = ["id", "name", "category", "duration_minutes", "price", "capacity"]


@extend_schema_field(
    {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "09:00"}
)
class WallClockTimeField(serializers.TimeField):
    """HH:MM. OpenAPI's `format: time` means RFC 3339 full-time (with seconds), so the
    schema states the shape actually sent."""


class WorkingHoursIntervalSerializer(serializers.ModelSerializer):
    weekday = serializers.IntegerField(
        min_value=0, max_value=6, help_text="0 = Monday ... 6 = Sunday."
    )
    start_time = WallClockTimeField(
        format="%H:%M", help_text="Local wall-clock time in the provider's zone, e.g. 09:00."
    )
    end_time = WallClockTimeField(format="%H:%M", help_text="After start_time, e.g. 12:30.")

    class Meta:
        model = WorkingHours
        fields = ["weekday", "start_time", "end_time"]


class PublicProviderSerializer(serializers.ModelSerializer):
    services = ProviderServiceBriefSerializer(many=True)
    timezone = serializers.CharField(help_text="IANA time zone of the provider's working hours.")

    class Meta:
        model = Provider
        fields = ["id", "display_name", "bio", "timezone", "services"]


class PublicProviderDetailSerializer(PublicProviderSerializer):
    working_hours = WorkingHoursIntervalSerializer(many=True)

    class Meta(PublicProviderSerializer.Meta):
        fields = [*PublicProviderSerializer.Meta.fields, "country", "subdivision", "working_hours"]


class AdminProviderSerializer(PublicProviderDetailSerializer):
    email = serializers.EmailField(source="user.email")
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")

    class Meta(PublicProviderDetailSerializer.Meta):
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "display_name",
            "bio",
            "timezone",
            "country",
            "subdivision",
            "daily_cap",
            "is_active",
            "services",
            "working_hours",
        ]


# --- input -------------------------------------------------------------------------------


class WorkingHoursInputSerializer(InputSerializer):
    weekday = serializers.IntegerField(
        min_value=0, max_value=6, help_text="0 = Monday ... 6 = Sunday."
    )
    start_time = serializers.TimeField(help_text="Local wall-clock time, e.g. 09:00.")
    end_time = serializers.TimeField(help_text="After start_time, e.g. 12:30.")


class AdminProviderCreateSerializer(InputSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        required=False,
        write_only=True,
        max_length=128,
        style={"input_type": "password"},
        help_text="Optional: without one the provider sets a password by resetting it.",
    )
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    display_name = serializers.CharField(max_length=120)
    bio = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    timezone = serializers.CharField(max_length=64, help_text="IANA time zone, e.g. Europe/London.")
    country = serializers.CharField(
        max_length=2,
        required=False,
        allow_blank=True,
        default="",
        help_text="ISO 3166 country code whose public holidays close the provider's days.",
    )
    subdivision = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        default="",
        help_text="State or region code for holidays, e.g. NY.",
    )
    daily_cap = serializers.IntegerField(
        min_value=1,
        max_value=100,
        required=False,
        allow_null=True,
        default=None,
        help_text="Most appointments in one local day (null: no cap).",
    )
    service_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        max_length=100,
        help_text="Ids of active services the provider offers.",
    )
    working_hours = WorkingHoursInputSerializer(
        many=True,
        max_length=100,
        help_text="Weekly intervals; two on one weekday make a break.",
    )
