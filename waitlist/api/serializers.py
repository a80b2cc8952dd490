"""Shapes of the waitlist API. Serializers check types and shapes; the services decide."""

from django.http import Http404
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from providers.models import Provider, Service, Urgency
from scheduling.api.serializers import StrictPrimaryKeyRelatedField
from scheduling.models import Appointment
from scheduling.selectors import appointment_for_user
from smartbook.api.fields import StrictBooleanField, StrictCharField, utc_iso
from smartbook.api.serializers import InputSerializer
from waitlist.models import Offer, WaitlistEntry
from waitlist.services import RangeInput

STATUS_FIELDS = ("status", "client", "created_at", "offers")
STATUS_MESSAGE = "This is set by the waitlist, not by the client."


class StrictDateField(serializers.DateField):
    """An ISO date as a string (2026-03-09); numbers and date-times are refused."""

    def to_internal_value(self, value):
        if not isinstance(value, str) or "T" in value:
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


# A wall-clock time as the API writes and reads it ("09:30"): not RFC 3339's full-time
# (which needs seconds and an offset), so the schema says so instead of `format: time`.
WALL_CLOCK_SCHEMA = {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2})?$", "example": "09:30"}


@extend_schema_field(WALL_CLOCK_SCHEMA)
class WallClockField(serializers.TimeField):
    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%H:%M")
        super().__init__(**kwargs)


@extend_schema_field(WALL_CLOCK_SCHEMA)
class StrictTimeField(serializers.TimeField):
    """A wall-clock time as a string (09:30), in the client's own zone: no offset."""

    default_error_messages = {
        "offset": "Give a local time without an offset: it is read in your own time zone.",
    }

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="hh:mm")
        if "+" in value or value.rstrip().endswith("Z") or value.count("-"):
            self.fail("offset")
        return super().to_internal_value(value)


class RangeSerializer(InputSerializer):
    first_date = StrictDateField()
    last_date = StrictDateField()
    earliest = StrictTimeField()
    latest = StrictTimeField()

    def validate(self, attrs):
        if attrs["last_date"] < attrs["first_date"]:
            raise serializers.ValidationError({"last_date": ["The last day is before the first."]})
        if attrs["latest"] <= attrs["earliest"]:
            raise serializers.ValidationError(
                {"latest": ["The latest time must be after the earliest."]}
            )
        return attrs


class OwnAppointmentField(serializers.IntegerField):
    """An appointment of the signed-in user, through the one access gate: another user's
    appointment is a 404."""

    def to_internal_value(self, data) -> Appointment:
        if isinstance(data, bool):
            self.fail("invalid")
        appointment_id = super().to_internal_value(data)
        try:
            appointment = appointment_for_user(
                user=self.context["request"].user, appointment_id=appointment_id
            )
        except Appointment.DoesNotExist as exc:
            raise Http404("No such appointment.") from exc
        if appointment.client_id != self.context["request"].user.pk:
            raise Http404("No such appointment.")
        return appointment


def ranges_of(data: list[dict]) -> list[RangeInput]:
    return [RangeInput(**item) for item in data]


class EntryCreateSerializer(InputSerializer):
    refused_fields = STATUS_FIELDS
    refused_message = STATUS_MESSAGE

    service = StrictPrimaryKeyRelatedField(
        queryset=Service.objects.filter(is_active=True),
        error_messages={"does_not_exist": "No active service with id {pk_value}."},
    )
    provider = StrictPrimaryKeyRelatedField(
        queryset=Provider.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        error_messages={"does_not_exist": "No active provider with id {pk_value}."},
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.ROUTINE)
    expires_on = StrictDateField()
    appointment = OwnAppointmentField(required=False, allow_null=True, default=None)
    short_notice = StrictBooleanField(
        default=False,
        help_text="I can come at short notice: I may get a standby place for a time that "
        "is likely to free up.",
    )
    ranges = RangeSerializer(many=True, allow_empty=False, max_length=10)


class EntryUpdateSerializer(InputSerializer):
    refused_fields = (*STATUS_FIELDS, "service", "provider", "appointment")
    refused_message = "This cannot be changed: leave the waitlist and join again."

    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    expires_on = StrictDateField(required=False)
    short_notice = StrictBooleanField(required=False)
    ranges = RangeSerializer(many=True, allow_empty=False, max_length=10, required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                {"non_field_errors": ["Give ranges, expires_on, urgency and/or short_notice."]}
            )
        return attrs


class TokenSerializer(InputSerializer):
    token = StrictCharField(max_length=1000)


class RangeOutSerializer(serializers.Serializer):
    first_date = serializers.DateField()
    last_date = serializers.DateField()
    earliest = WallClockField()
    latest = WallClockField()


class EntrySerializer(serializers.ModelSerializer):
    ranges = RangeOutSerializer(many=True, read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True)
    provider_name = serializers.SerializerMethodField()
    created_at = serializers.SerializerMethodField()

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "service",
            "service_name",
            "provider",
            "provider_name",
            "urgency",
            "expires_on",
            "appointment",
            "status",
            "kind",
            "displaced_reason",
            "short_notice",
            "created_at",
            "ranges",
        ]
        read_only_fields = fields

    def get_provider_name(self, entry) -> str | None:
        return entry.provider.display_name if entry.provider else None

    def get_created_at(self, entry) -> str | None:
        return utc_iso(entry.created_at)


class OfferSerializer(serializers.ModelSerializer):
    service_name = serializers.CharField(source="service.name", read_only=True)
    provider_name = serializers.CharField(source="provider.display_name", read_only=True)
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    expires_at = serializers.SerializerMethodField()
    responded_at = serializers.SerializerMethodField()
    moves_appointment = serializers.IntegerField(
        source="entry.appointment_id", read_only=True, allow_null=True
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "entry",
            "service",
            "service_name",
            "provider",
            "provider_name",
            "start",
            "end",
            "status",
            "expires_at",
            "responded_at",
            "appointment",
            "moves_appointment",
        ]
        read_only_fields = fields

    def get_start(self, offer) -> str | None:
        return utc_iso(offer.start)

    def get_end(self, offer) -> str | None:
        return utc_iso(offer.end)

    def get_expires_at(self, offer) -> str | None:
        return utc_iso(offer.expires_at)

    def get_responded_at(self, offer) -> str | None:
        return utc_iso(offer.responded_at)
