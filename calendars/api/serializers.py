"""Shapes of the external calendars API. Serializers check types; the services decide. The
app password is write-only and never serialized; a subscription's address shows its host."""

from rest_framework import serializers

from calendars import selectors
from calendars.models import CalendarConnection, ConnectionKind
from smartbook.api.fields import StrictCharField, utc_iso
from smartbook.api.serializers import InputSerializer


class ConnectionCreateSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=ConnectionKind.choices)
    url = StrictCharField(max_length=2000)
    name = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    username = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    password = StrictCharField(
        max_length=500, required=False, allow_blank=True, default="", write_only=True
    )
    refused_fields = ("id", "provider", "calendars", "last_error", "last_success_at")

    def validate(self, attrs):
        if attrs["kind"] == ConnectionKind.CALDAV:
            missing = {
                name: ["A CalDAV account needs this."]
                for name in ("username", "password")
                if not attrs.get(name)
            }
            if missing:
                raise serializers.ValidationError(missing)
        else:
            given = {
                name: ["A calendar subscription has no user name or password."]
                for name in ("username", "password")
                if attrs.get(name)
            }
            if given:
                raise serializers.ValidationError(given)
        return attrs


class CalendarsChoiceSerializer(InputSerializer):
    busy_calendars = serializers.ListField(
        child=serializers.IntegerField(min_value=1), max_length=100
    )
    receiving_calendar = serializers.IntegerField(min_value=1, allow_null=True, required=False)


class RemoteCalendarSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    counts_as_busy = serializers.BooleanField()
    receives_appointments = serializers.BooleanField()


class ConnectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField(help_text="The server's host; the full address is secret.")
    username = serializers.CharField()
    calendars = RemoteCalendarSerializer(many=True)
    last_success_at = serializers.CharField(allow_null=True)
    last_attempt_at = serializers.CharField(allow_null=True)
    next_attempt_at = serializers.CharField(allow_null=True)
    events_imported = serializers.IntegerField()
    last_error = serializers.CharField(help_text="Why the last sync failed, in plain words.")
    failing_since = serializers.CharField(allow_null=True)
    stale = serializers.BooleanField(help_text="Not synced within the clinic's limit.")
    state = serializers.CharField()


def connection_data(connection: CalendarConnection) -> dict:
    state = selectors.connection_state(connection)
    return {
        "id": connection.pk,
        "kind": connection.kind,
        "name": connection.name,
        "address": selectors.masked_address(connection.url),
        "username": connection.username,
        "calendars": [
            {
                "id": calendar.pk,
                "name": calendar.name,
                "counts_as_busy": calendar.counts_as_busy,
                "receives_appointments": calendar.receives_appointments,
            }
            for calendar in connection.calendars.all()
        ],
        "last_success_at": utc_iso(connection.last_success_at),
        "last_attempt_at": utc_iso(connection.last_attempt_at),
        "next_attempt_at": utc_iso(connection.next_attempt_at),
        "events_imported": connection.events_imported,
        "last_error": connection.last_error,
        "failing_since": utc_iso(connection.failing_since),
        "stale": state.stale,
        "state": state.words,
    }
