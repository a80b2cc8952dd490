"""Shapes of the scheduling API. Serializers check types; the services decide."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.http import Http404
from rest_framework import serializers

from accounts.models import Role, User, validate_timezone_name
from providers.models import Provider, Service, Urgency
from scheduling import rules
from scheduling.models import Appointment, AppointmentChange, AppointmentStatus
from scheduling.selectors import appointment_for_user
from smartbook.api.fields import (
    AwareDateTimeField,
    StrictBooleanField,
    StrictCharField,
    utc_iso,
)
from smartbook.api.serializers import InputSerializer


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id must be a whole number (or its digits, from a form): 1.5 or true is refused
    rather than truncated to another object's id."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str) and not data.strip().isdigit():
            self.fail("incorrect_type", data_type="str")
        return super().to_internal_value(data)


# --- availability ---------------------------------------------------------------------


class AvailabilityQuerySerializer(serializers.Serializer):
    service = StrictPrimaryKeyRelatedField(
        queryset=Service.objects.filter(is_active=True),
        error_messages={"does_not_exist": "No active service with id {pk_value}."},
    )
    start = AwareDateTimeField()
    end = AwareDateTimeField()

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["The end must be after the start."]})
        horizon_days = self.context["policy"].horizon_days
        if (attrs["end"] - attrs["start"]).total_seconds() > horizon_days * 86400:
            raise serializers.ValidationError(
                {"end": [f"The window may span at most {horizon_days} days."]}
            )
        return attrs


class MovingQueryField(serializers.IntegerField):
    """`reschedule=<appointment id>`: ask where that appointment may move (its own time not in
    the way). Resolved through the one access gate: another user's appointment is a 404."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "The id of your appointment being moved.")
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Appointment:
        appointment_id = super().to_internal_value(data)
        user = self.context["request"].user
        if not user.is_authenticated:  # a visitor has no appointment to move
            raise Http404("No such appointment.")
        try:
            return appointment_for_user(
                user=self.context["request"].user, appointment_id=appointment_id
            )
        except Appointment.DoesNotExist as exc:
            raise Http404("No such appointment.") from exc


def validate_moving(attrs: dict) -> dict:
    """The moved appointment keeps its service (a move is not a new booking)."""
    moving = attrs.get("reschedule")
    if moving is not None and moving.service_id != attrs["service"].pk:
        raise serializers.ValidationError({"service": ["A moved appointment keeps its service."]})
    return attrs


class AvailableQuerySerializer(AvailabilityQuerySerializer):
    timezone = StrictCharField(
        max_length=64,
        required=False,
        validators=[validate_timezone_name],
        help_text="The viewer's IANA zone, for the dates of `closed_days` (default: the "
        "signed-in client's own zone, else UTC).",
    )
    provider = StrictPrimaryKeyRelatedField(
        queryset=Provider.objects.filter(is_active=True, user__is_active=True),
        required=False,
        error_messages={"does_not_exist": "No active provider with id {pk_value}."},
    )
    reschedule = MovingQueryField()

    def validate(self, attrs):
        return validate_moving(super().validate(attrs))


class SlotProviderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SlotSerializer(serializers.Serializer):
    """One bookable slot: the shape of /available, provider availability and /recommended."""

    provider = SlotProviderSerializer()
    service = serializers.IntegerField()
    start = serializers.CharField(help_text="UTC, ISO 8601.")
    end = serializers.CharField(help_text="UTC, ISO 8601.")
    local_start = serializers.CharField(help_text="Provider-local, ISO 8601 with offset.")
    local_end = serializers.CharField(help_text="Provider-local, ISO 8601 with offset.")
    timezone = serializers.CharField(help_text="The provider's IANA time zone.")
    change_until = serializers.CharField(
        help_text="UTC, ISO 8601: booked at this time, the client may change or cancel it "
        "online until then (the client cut-off)."
    )
    changeable = serializers.BooleanField(
        help_text="False when that moment has already passed: booked now, the appointment "
        "could not be changed or cancelled online."
    )
    seats_left = serializers.IntegerField(
        allow_null=True,
        help_text="For a group service, the seats still free in the session at this time "
        "(booking takes one); null for a private appointment.",
    )


def slot_data(
    slot, *, service_id: int, provider_name: str, policy: rules.Policy, now: datetime
) -> dict:
    """A slot (anything with provider_id, start, end, local_start, timezone, seats_left) as
    `SlotSerializer` shows it, with what the cut-off rule would say of it once booked."""
    zone = slot.local_start.tzinfo
    return {
        "change_until": utc_iso(rules.client_cutoff(slot.start, policy)),
        "changeable": rules.cutoff_refusal(start=slot.start, now=now, policy=policy, bound=True)
        is None,
        "provider": {"id": slot.provider_id, "name": provider_name},
        "service": service_id,
        "start": utc_iso(slot.start),
        "end": utc_iso(slot.end),
        "local_start": slot.local_start.isoformat(),
        "local_end": slot.end.astimezone(zone).isoformat(),
        "timezone": slot.timezone,
        "seats_left": slot.seats_left,
    }


class FullDaySerializer(serializers.Serializer):
    date = serializers.DateField(help_text="A day in the client's own time zone.")
    reason = serializers.CharField(help_text="Why no time is offered that day, in plain words.")


class StaleCalendarSerializer(serializers.Serializer):
    provider = serializers.IntegerField()
    provider_name = serializers.CharField()
    stale_since = serializers.CharField()
    still_offered = serializers.BooleanField(
        help_text="Whether the policy keeps offering this provider's times meanwhile."
    )


class SlotListSerializer(serializers.Serializer):
    service = serializers.IntegerField()
    start = serializers.CharField()
    end = serializers.CharField()
    count = serializers.IntegerField()
    slots = SlotSerializer(many=True)
    closed_days = serializers.ListField(
        child=serializers.DateField(),
        required=False,
        help_text="Days of the window, in the viewer's zone (`timezone`), on which none of "
        "the providers asked about works: closed, where a working day without free times is "
        "fully booked.",
    )
    full_days = FullDaySerializer(
        many=True,
        required=False,
        help_text="The signed-in client's days in the window on which they already hold the "
        "most appointments allowed per day (empty for anyone else).",
    )
    stale_calendars = StaleCalendarSerializer(
        many=True,
        required=False,
        help_text="For staff: providers whose external calendars have not synced within the "
        "policy's limit, so their busy time may be out of date (empty for anyone else).",
    )


# --- appointments -----------------------------------------------------------------------


class _ProviderSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    timezone = serializers.CharField()


class _ServiceSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    capacity = serializers.IntegerField(help_text="Seats per session; 1 for private ones.")


class _ClientSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField(source="get_full_name")


class AppointmentChangeSerializer(serializers.ModelSerializer):
    old_start = AwareDateTimeField()
    old_end = AwareDateTimeField()
    new_start = AwareDateTimeField()
    new_end = AwareDateTimeField()
    changed_at = AwareDateTimeField()

    class Meta:
        model = AppointmentChange
        fields = [
            "old_start",
            "old_end",
            "new_start",
            "new_end",
            "changed_by",
            "reason",
            "changed_at",
        ]
        read_only_fields = fields


class AppointmentSerializer(serializers.ModelSerializer):
    client = _ClientSummarySerializer()
    provider = _ProviderSummarySerializer()
    service = _ServiceSummarySerializer()
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    local_start = serializers.SerializerMethodField()
    local_end = serializers.SerializerMethodField()
    timezone = serializers.CharField(source="provider.timezone")
    cancelled_at = AwareDateTimeField(allow_null=True)
    created_at = AwareDateTimeField()
    updated_at = AwareDateTimeField()

    class Meta:
        model = Appointment
        fields = [
            "id",
            "uid",
            "status",
            "urgency",
            "source",
            "client",
            "provider",
            "service",
            "start",
            "end",
            "local_start",
            "local_end",
            "timezone",
            "client_notes",
            "cancelled_at",
            "cancelled_by",
            "cancellation_reason",
            "sequence",
            "series",
            "session",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_local_start(self, appointment: Appointment) -> str:
        return appointment.start.astimezone(ZoneInfo(appointment.provider.timezone)).isoformat()

    def get_local_end(self, appointment: Appointment) -> str:
        return appointment.end.astimezone(ZoneInfo(appointment.provider.timezone)).isoformat()


class AppointmentDetailSerializer(AppointmentSerializer):
    changes = AppointmentChangeSerializer(many=True, read_only=True)

    class Meta(AppointmentSerializer.Meta):
        fields = [*AppointmentSerializer.Meta.fields, "changes"]
        read_only_fields = fields


class AppointmentCreateSerializer(InputSerializer):
    refused_fields = ("status", "client", "source", "sequence", "end")
    refused_message = "This is set by the booking service, not by the client."

    provider = StrictPrimaryKeyRelatedField(
        queryset=Provider.objects.all(),
        error_messages={"does_not_exist": "No provider with id {pk_value}."},
    )
    service = StrictPrimaryKeyRelatedField(
        queryset=Service.objects.all(),
        error_messages={"does_not_exist": "No service with id {pk_value}."},
    )
    start = AwareDateTimeField()
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.ROUTINE)
    client_notes = StrictCharField(max_length=2000, allow_blank=True, required=False, default="")
    recommendation_id = serializers.UUIDField(required=False)


class AppointmentCreateForClientSerializer(AppointmentCreateSerializer):
    """A booking made with an API key on behalf of a client, who is named."""

    refused_fields = ("status", "source", "sequence", "end")

    client = StrictPrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.CLIENT),
        help_text="The client booked for (their user id); required with an API key.",
        error_messages={"does_not_exist": "No client with id {pk_value}."},
    )


class AppointmentBookSerializer(AppointmentCreateSerializer):
    """The booking body as the schema documents it, for both kinds of caller (a person books
    for themselves; an API key names the client)."""

    client = serializers.IntegerField(
        required=False,
        help_text="With an API key (appointments:write): the client booked for, their user "
        "id (required). Refused without a key: people book for themselves.",
    )


class AppointmentUpdateSerializer(InputSerializer):
    refused_fields = ("status", "provider", "service", "client", "source", "urgency", "end")
    refused_message = "This cannot be changed here: cancel and book again, or ask the clinic."

    start = AwareDateTimeField(required=False)
    client_notes = StrictCharField(max_length=2000, allow_blank=True, required=False)
    reason = StrictCharField(max_length=500, allow_blank=True, required=False, default="")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "start" not in attrs and "client_notes" not in attrs:
            raise serializers.ValidationError({"start": ["Give a new start and/or client_notes."]})
        return attrs


class AppointmentCancelSerializer(InputSerializer):
    reason = StrictCharField(max_length=500, allow_blank=True, required=False, default="")


class AdminAppointmentUpdateSerializer(InputSerializer):
    refused_fields = ("provider", "service", "client", "end")
    refused_message = "This cannot be changed: cancel and book again."

    start = AwareDateTimeField(required=False)
    client_notes = StrictCharField(max_length=2000, allow_blank=True, required=False)
    status = serializers.ChoiceField(
        choices=[
            AppointmentStatus.CANCELLED,
            AppointmentStatus.COMPLETED,
            AppointmentStatus.NO_SHOW,
        ],
        required=False,
    )
    reason = StrictCharField(max_length=500, allow_blank=True, required=False, default="")
    override_policy = StrictBooleanField(required=False, default=False)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not {"start", "client_notes", "status"} & set(attrs):
            raise serializers.ValidationError(
                {"non_field_errors": ["Give a new start, client_notes or status."]}
            )
        if "status" in attrs and "start" in attrs:
            raise serializers.ValidationError(
                {"status": ["Change either the time or the status, not both at once."]}
            )
        return attrs
