"""Shapes of the accounts API. Serializers check types and lengths; services decide."""

from collections.abc import Mapping

from rest_framework import serializers

from accounts.models import (
    MAX_REMINDER_LEAD_MINUTES,
    MAX_REMINDERS,
    Role,
    TimeOfDay,
    User,
    validate_timezone_name,
)
from smartbook.api.fields import ClockTimeField, StrictBooleanField, StrictCharField
from smartbook.api.serializers import InputSerializer


class StrictEmailField(serializers.EmailField):
    default_error_messages = {"invalid": "Enter a valid email address."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data).strip().lower()


class FlatListField(serializers.ListField):
    """A list whose item errors are reported under the list's own name, each naming the
    value it refuses ("“abc” is not accepted: Enter a whole number of minutes.")."""

    def run_child_validation(self, data):
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as exc:
            messages = [
                f"“{str(data[index])[:40]}” is not accepted: {message}"
                for index, item_errors in exc.detail.items()
                for message in item_errors
            ]
            raise serializers.ValidationError(messages) from exc


def _messages(text: str) -> dict[str, str]:
    """A number field's words for any value it refuses, in place of DRF's ("A valid integer
    is required."); a field may say more for a value out of range."""
    return dict.fromkeys(("invalid", "max_string_length", "min_value", "max_value"), text)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    code = serializers.CharField(required=False)


class MessageSerializer(serializers.Serializer):
    detail = serializers.CharField()


# --- auth --------------------------------------------------------------------------------


class RegisterInputSerializer(InputSerializer):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(max_length=128, trim_whitespace=False, write_only=True)
    first_name = StrictCharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = StrictCharField(max_length=150, required=False, allow_blank=True, default="")


class LoginInputSerializer(InputSerializer):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(max_length=128, trim_whitespace=False, write_only=True)


class RegisterOutputSerializer(serializers.Serializer):
    """What registering answers, built from the request alone: the same whether or not the
    address already had an account, so the answer reveals nothing about who is registered."""

    detail = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class UserSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "role", "first_name", "last_name", "timezone"]
        read_only_fields = fields


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class LoginOutputSerializer(TokenPairSerializer):
    user = UserSummarySerializer()


class RefreshInputSerializer(InputSerializer):
    refresh = StrictCharField(max_length=2048)


class PasswordResetRequestInputSerializer(InputSerializer):
    email = StrictEmailField(max_length=254)


class PasswordResetConfirmInputSerializer(InputSerializer):
    password = StrictCharField(max_length=128, trim_whitespace=False, write_only=True)


# --- profile -----------------------------------------------------------------------------


def _weekday_list(help_text: str) -> FlatListField:
    return FlatListField(
        child=serializers.IntegerField(
            min_value=0, max_value=6, error_messages=_messages("Choose days from Monday to Sunday.")
        ),
        required=False,
        max_length=7,
        help_text=help_text,
    )


class ProfileInputSerializer(InputSerializer):
    """Every field is optional: PUT and PATCH both change only the keys sent.

    The preferences may also come grouped under a `profile` object (as the web page sends
    them); they are read as if they were top-level keys.
    """

    first_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    last_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    phone = StrictCharField(max_length=32, required=False, allow_blank=True)
    timezone = StrictCharField(max_length=64, required=False, validators=[validate_timezone_name])
    preferred_weekdays = _weekday_list("0 = Monday ... 6 = Sunday.")
    preferred_times_of_day = FlatListField(
        child=serializers.ChoiceField(choices=TimeOfDay.choices),
        required=False,
        max_length=len(TimeOfDay.values),
    )
    email_notifications = StrictBooleanField(required=False)
    reminders_enabled = StrictBooleanField(required=False)
    reminder_lead_minutes = FlatListField(
        child=serializers.IntegerField(
            min_value=1,
            max_value=MAX_REMINDER_LEAD_MINUTES,
            error_messages={
                **_messages("Enter a whole number of minutes before the appointment."),
                "min_value": "A reminder goes at least 1 minute before the appointment.",
                "max_value": "A reminder goes at most four weeks before the appointment.",
            },
        ),
        required=False,
        max_length=MAX_REMINDERS,
        error_messages={"max_length": f"Choose at most {MAX_REMINDERS} reminders."},
        help_text="Minutes before an appointment at which a reminder is sent.",
    )
    max_wait_days = serializers.IntegerField(
        min_value=0,
        max_value=365,
        required=False,
        allow_null=True,
        error_messages={
            **_messages("Enter a whole number of days, or leave it empty."),
            "min_value": "Enter 0 days or more.",
            "max_value": "Enter at most 365 days.",
        },
    )

    earliest_time = ClockTimeField(
        required=False,
        help_text="No time starting earlier is recommended (your zone; default 07:00).",
    )
    latest_time = ClockTimeField(
        required=False,
        help_text="No time ending later is recommended (your zone; default 21:00).",
    )
    avoided_weekdays = _weekday_list("Days never recommended: 0 = Monday ... 6 = Sunday.")

    def to_internal_value(self, data):
        if isinstance(data, Mapping) and "profile" in data:
            nested = data["profile"]
            if not isinstance(nested, Mapping):
                raise serializers.ValidationError({"profile": ["Must be an object."]})
            data = {**{key: value for key, value in data.items() if key != "profile"}, **nested}
        return super().to_internal_value(data)

    def validate(self, attrs):
        for field in ("preferred_weekdays", "preferred_times_of_day", "reminder_lead_minutes"):
            values = attrs.get(field)
            if values is not None and len(set(values)) != len(values):
                raise serializers.ValidationError({field: ["Each value may appear only once."]})
        return attrs


class ProfileOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.id")
    email = serializers.EmailField(source="user.email")
    role = serializers.ChoiceField(source="user.role", choices=Role.choices)
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    phone = serializers.CharField(source="user.phone")
    timezone = serializers.CharField(source="user.timezone")
    preferred_weekdays = serializers.ListField(child=serializers.IntegerField())
    preferred_times_of_day = serializers.ListField(
        child=serializers.ChoiceField(choices=TimeOfDay.choices)
    )
    email_notifications = serializers.BooleanField()
    reminders_enabled = serializers.BooleanField()
    reminder_lead_minutes = serializers.ListField(child=serializers.IntegerField())
    max_wait_days = serializers.IntegerField(allow_null=True)
    earliest_time = ClockTimeField()
    latest_time = ClockTimeField()
    avoided_weekdays = serializers.ListField(child=serializers.IntegerField())


# --- admin -------------------------------------------------------------------------------


class AdminUserFilterSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
    search = serializers.CharField(max_length=100, required=False, allow_blank=True)


class AdminUserOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "role",
            "timezone",
            "is_active",
            "is_staff",
            "date_joined",
            "last_login",
        ]
        read_only_fields = fields


class AdminUserPageSerializer(serializers.Serializer):
    """One page of users, as StandardPagination answers it."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AdminUserOutputSerializer(many=True)


class AdminUserInputSerializer(InputSerializer):
    """Every field is optional: PUT and PATCH both change only the keys sent."""

    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = StrictBooleanField(required=False)
    first_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    last_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    phone = StrictCharField(max_length=32, required=False, allow_blank=True)
    timezone = StrictCharField(max_length=64, required=False, validators=[validate_timezone_name])
