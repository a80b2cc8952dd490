"""Serializer fields shared by every app's API: JSON types are checked, never coerced, so a
wrong type is a 400 naming the field rather than a silently stringified or truncated value."""

import unicodedata
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers, booleans and lists instead of stringifying them."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only: "yes", 1 or "maybe" are refused."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


# Far enough from datetime's limits that margins and horizons never overflow.
MIN_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
MAX_INSTANT = datetime(2999, 12, 31, tzinfo=UTC)
RANGE_MESSAGE = "Give a date between 1970 and 2999."
# The largest id a row can have (a bigint); a larger number in a URL or query names nothing.
MAX_ID = 2**63 - 1


def api_instant(value: datetime) -> datetime | None:
    """An aware date-time as the API's UTC instant, or None outside 1970-2999 (the one range
    of the API's date-times: bodies and query filters alike)."""
    value = value.astimezone(UTC)
    return value if MIN_INSTANT <= value <= MAX_INSTANT else None


def utc_iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _has_control_character(value: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in value)


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """An ISO-8601 instant with an offset or `Z`; a naive time is refused, not guessed.

    The one date-time field of the API. Control characters (a NUL, a newline) are refused
    rather than trimmed: Django's parser would otherwise read past them.
    """

    default_error_messages = {
        "invalid": "Give an ISO-8601 date-time, e.g. 2026-03-09T13:00:00Z.",
        "control": "Give an ISO-8601 date-time without control characters.",
        "naive": "Give the time zone offset (e.g. 'Z' or '+01:00'): a local time is ambiguous.",
        "range": RANGE_MESSAGE,
    }

    def to_internal_value(self, data) -> datetime:
        if not isinstance(data, str):
            self.fail("invalid")
        if _has_control_character(data):
            self.fail("control")
        try:
            value = parse_datetime(data.strip().replace(" ", "+", 1) if "T" in data else data)
        except ValueError:
            value = None
        if value is None:
            self.fail("invalid")
        if value.tzinfo is None or value.utcoffset() is None:
            self.fail("naive")
        instant = api_instant(value)
        if instant is None:
            self.fail("range")
        return instant

    def to_representation(self, value: datetime) -> str | None:
        return utc_iso(value)


@extend_schema_field(
    {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "07:00"}
)
class ClockTimeField(serializers.TimeField):
    """A time of day on a wall clock as "HH:MM", read and written alike."""

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%H:%M"])
        kwargs.setdefault("format", "%H:%M")
        messages = kwargs.pop("error_messages", {})
        super().__init__(**kwargs)
        self.error_messages.update(
            {"invalid": "Give a time of day as HH:MM, such as 07:00.", **messages}
        )
