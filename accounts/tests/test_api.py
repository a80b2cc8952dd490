"""The accounts API: registration, login, tokens, password reset, profile."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail

from accounts.models import Profile, Role, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory, verified_user
from accounts.tests.support import auth_client

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-velvet-42"


def login(api_client, email, password=DEFAULT_PASSWORD, **extra):
    return api_client.post(
        "/api/auth/login", {"email": email, "password": password}, format="json", **extra
    )


def register(api_client, capture, **overrides):
    body = {"email": "new.client@example.com", "password": STRONG, "first_name": "Nia"}
    body.update(overrides)
    with capture(execute=True):
        return api_client.post("/api/auth/register", body, format="json")


def link_in(message, pattern: str) -> str:
    return re.search(pattern, message.body).group(0)


def reset_token_from_outbox() -> str:
    url = link_in(mail.outbox[-1], r"https?://\S+/password/reset/\S+")
    return url.rsplit("/", 1)[1]


# --- registration ------------------------------------------------------------------------


def test_register_creates_client_with_profile_and_sends_verification(
    api_client, django_capture_on_commit_callbacks
):
    response = register(api_client, django_capture_on_commit_callbacks)

    assert response.status_code == 201, response.json()
    assert response.json()["email"] == "new.client@example.com"
    assert "password" not in response.json()
    user = User.objects.get(email="new.client@example.com")
    assert user.role == Role.CLIENT
    assert user.check_password(STRONG)
    assert Profile.objects.filter(user=user).exists()
    assert EmailAddress.objects.get(user=user).verified is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.client@example.com"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_register_lowercases_the_email(api_client, django_capture_on_commit_callbacks):
    response = register(api_client, django_capture_on_commit_callbacks, email="Nia.Obi@Example.COM")

    assert response.status_code == 201
    assert User.objects.filter(email="nia.obi@example.com").exists()


def test_register_with_a_taken_address_answers_as_for_a_new_one_and_tells_the_owner(
    api_client, django_capture_on_commit_callbacks
):
    UserFactory(email="taken@example.com", first_name="Tess")

    taken = register(api_client, django_capture_on_commit_callbacks, email="TAKEN@example.com")
    new = register(api_client, django_capture_on_commit_callbacks, email="fresh@example.com")

    assert taken.status_code == new.status_code == 201
    assert {**taken.json(), "email": None} == {**new.json(), "email": None}
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    warning, verification = mail.outbox
    assert warning.to == ["taken@example.com"]
    assert verification.to == ["fresh@example.com"]
    assert "someone tried to register" in warning.subject.lower()
    assert "if it was you, log in or reset your password" in warning.body.lower()
    assert "/accounts/password/reset/" in warning.body
    html, mimetype = warning.alternatives[0]
    assert mimetype == "text/html" and "Hello Tess" in html


def test_register_with_a_taken_address_and_a_weak_password_is_400_as_for_a_new_one(
    api_client, django_capture_on_commit_callbacks
):
    UserFactory(email="taken@example.com")

    taken = register(
        api_client, django_capture_on_commit_callbacks, email="taken@example.com", password="x"
    )
    new = register(
        api_client, django_capture_on_commit_callbacks, email="fresh@example.com", password="x"
    )

    assert taken.status_code == new.status_code == 400
    assert taken.json() == new.json()
    assert mail.outbox == []


@pytest.mark.parametrize("weak", ["short1", "password123", "12345678901", "new.client1"])
def test_register_weak_password_is_400_naming_password_and_writes_nothing(
    api_client, django_capture_on_commit_callbacks, weak
):
    response = register(api_client, django_capture_on_commit_callbacks, password=weak)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["password"]
    assert not User.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("bad", ["not-an-email", "a@", "@example.com", "two@@example.com", ""])
def test_register_bad_email_is_400_naming_email(
    api_client, django_capture_on_commit_callbacks, bad
):
    response = register(api_client, django_capture_on_commit_callbacks, email=bad)

    assert response.status_code == 400
    assert "email" in response.json()["errors"]
    assert not User.objects.exists()


def test_register_missing_fields_are_named(api_client):
    response = api_client.post("/api/auth/register", {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "password"}


def test_register_malformed_json_is_400_and_writes_nothing(api_client):
    response = api_client.post(
        "/api/auth/register",
        '{"email": "x@example.com", "password": ',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    assert not User.objects.exists()


def test_register_wrong_types_are_400_naming_each_field(api_client):
    response = api_client.post(
        "/api/auth/register",
        {"email": 12, "password": ["a", "b"], "first_name": {"x": 1}},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "password", "first_name"}
    assert not User.objects.exists()


def test_register_over_long_name_is_400_naming_it(api_client, django_capture_on_commit_callbacks):
    response = register(api_client, django_capture_on_commit_callbacks, last_name="x" * 151)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["last_name"]
    assert not User.objects.exists()


def test_register_body_that_is_not_an_object_is_400(api_client):
    response = api_client.post("/api/auth/register", [1, 2], format="json")

    assert response.status_code == 400
    assert not User.objects.exists()


# --- email verification ------------------------------------------------------------------


def test_login_before_verifying_is_403_then_web_link_unlocks_api_login(
    api_client, client, django_capture_on_commit_callbacks
):
    register(api_client, django_capture_on_commit_callbacks)

    refused = login(api_client, "new.client@example.com", STRONG)
    assert refused.status_code == 403
    assert refused.json()["code"] == "email_unverified"
    assert "verify" in refused.json()["detail"].lower()

    link = link_in(mail.outbox[0], r"https?://\S+/accounts/confirm-email/\S+/")
    path = "/" + link.split("/", 3)[3]
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302
    assert EmailAddress.objects.get(email="new.client@example.com").verified is True

    assert login(api_client, "new.client@example.com", STRONG).status_code == 200


# --- login -------------------------------------------------------------------------------


def test_login_returns_tokens_that_authenticate(api_client):
    user = verified_user(email="ann@example.com")

    response = login(api_client, "ANN@example.com")

    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == user.pk
    assert body["access"] and body["refresh"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api_client.get("/api/users/profile").json()["email"] == "ann@example.com"
    user.refresh_from_db()
    assert user.last_login is not None


@pytest.mark.parametrize(
    ("email", "password"),
    [("ann@example.com", "wrong-password-1"), ("nobody@example.com", DEFAULT_PASSWORD)],
)
def test_login_failure_is_401_with_the_same_message(api_client, email, password):
    verified_user(email="ann@example.com")

    response = login(api_client, email, password)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert "access" not in response.json()


def test_login_of_inactive_user_is_refused(api_client):
    verified_user(email="gone@example.com", is_active=False)

    assert login(api_client, "gone@example.com").status_code == 401


def test_login_missing_password_is_400_naming_it(api_client):
    response = api_client.post("/api/auth/login", {"email": "a@example.com"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["password"]


def test_repeated_failures_lock_out_then_cool_off_restores_login(api_client):
    verified_user(email="ann@example.com")
    limit = settings.AXES_FAILURE_LIMIT

    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as traveller:
        statuses = [
            login(api_client, "ann@example.com", "wrong-guess-xx").status_code for _ in range(limit)
        ]
        assert statuses == [401] * (limit - 1) + [429]

        locked = login(api_client, "ann@example.com")  # even the right password
        assert locked.status_code == 429
        assert locked.json()["code"] == "locked_out"
        assert "too many failed login attempts" in locked.json()["detail"].lower()

        # Each attempt during the lockout restarts the cool-off (axes' default) ...
        traveller.shift(settings.AXES_COOLOFF_TIME - timedelta(seconds=30))
        assert login(api_client, "ann@example.com").status_code == 429

        # ... and once a whole cool-off passes quietly, the right password works again.
        traveller.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        assert login(api_client, "ann@example.com").status_code == 200


def test_lockout_is_per_username_and_ip(api_client):
    verified_user(email="ann@example.com")
    verified_user(email="ben@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(api_client, "ann@example.com", "wrong-guess-xx")

    assert login(api_client, "ann@example.com").status_code == 429
    assert login(api_client, "ben@example.com").status_code == 200
    assert login(api_client, "ann@example.com", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_successful_login_resets_the_failure_count(api_client):
    verified_user(email="ann@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(api_client, "ann@example.com", "wrong-guess-xx")
    assert login(api_client, "ann@example.com").status_code == 200

    statuses = [
        login(api_client, "ann@example.com", "wrong-guess-xx").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT - 1)
    ]

    assert 429 not in statuses


def test_auth_endpoints_are_throttled(api_client):
    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"].split("/")[0])
    body = {"email": "someone@example.com"}

    statuses = [
        api_client.post("/api/auth/password/reset", body, format="json").status_code
        for _ in range(rate + 1)
    ]

    assert statuses[:rate] == [202] * rate
    assert statuses[rate] == 429


# --- refresh and logout ------------------------------------------------------------------


def tokens_for(api_client, email="ann@example.com") -> dict:
    verified_user(email=email)
    return login(api_client, email).json()


def test_refresh_rotates_and_refuses_the_old_refresh_token(api_client):
    tokens = tokens_for(api_client)

    rotated = api_client.post("/api/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh"] != tokens["refresh"] and new["access"]

    replay = api_client.post("/api/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert replay.status_code == 401
    assert "refresh" in replay.json()["errors"]

    again = api_client.post("/api/auth/refresh", {"refresh": new["refresh"]}, format="json")
    assert again.status_code == 200


def test_refresh_with_garbage_or_an_access_token_is_401(api_client):
    tokens = tokens_for(api_client)

    for candidate in ["not-a-token", tokens["access"]]:
        response = api_client.post("/api/auth/refresh", {"refresh": candidate}, format="json")
        assert response.status_code == 401


def test_refresh_expires(api_client):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as traveller:
        tokens = tokens_for(api_client)
        traveller.shift(settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"] + timedelta(minutes=1))

        response = api_client.post(
            "/api/auth/refresh", {"refresh": tokens["refresh"]}, format="json"
        )

    assert response.status_code == 401


def test_logout_blacklists_the_refresh_token(api_client):
    tokens = tokens_for(api_client)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    response = api_client.post("/api/auth/logout", {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 204
    refused = api_client.post("/api/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert refused.status_code == 401


def test_logout_needs_a_signed_in_user(api_client):
    tokens = tokens_for(api_client)

    response = api_client.post("/api/auth/logout", {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 401
    refresh = api_client.post("/api/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert refresh.status_code == 200


def test_logout_refuses_another_users_refresh_token(api_client):
    theirs = tokens_for(api_client, "ann@example.com")
    mine = tokens_for(api_client, "ben@example.com")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mine['access']}")

    response = api_client.post("/api/auth/logout", {"refresh": theirs["refresh"]}, format="json")

    assert response.status_code == 400
    assert "refresh" in response.json()["errors"]
    api_client.credentials()
    refresh = api_client.post("/api/auth/refresh", {"refresh": theirs["refresh"]}, format="json")
    assert refresh.status_code == 200


# --- password reset ----------------------------------------------------------------------


def test_password_reset_answers_the_same_for_unknown_email(api_client):
    verified_user(email="ann@example.com")

    known = api_client.post("/api/auth/password/reset", {"email": "ann@example.com"}, format="json")
    sent = len(mail.outbox)
    unknown = api_client.post(
        "/api/auth/password/reset", {"email": "zed@example.com"}, format="json"
    )

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert sent == 1 and len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ann@example.com"]


def test_password_reset_token_works_once(api_client):
    user = verified_user(email="ann@example.com")
    api_client.post("/api/auth/password/reset", {"email": "ann@example.com"}, format="json")
    token = reset_token_from_outbox()

    first = api_client.put(f"/api/auth/password/reset/{token}", {"password": STRONG}, format="json")
    second = api_client.put(
        f"/api/auth/password/reset/{token}", {"password": "another-fine-pass-7"}, format="json"
    )

    assert first.status_code == 200
    assert second.status_code == 400
    assert "token" in second.json()["errors"]
    user.refresh_from_db()
    assert user.check_password(STRONG)
    assert login(api_client, "ann@example.com", STRONG).status_code == 200


def test_password_reset_token_expires(api_client):
    user = verified_user(email="ann@example.com")
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as traveller:
        api_client.post("/api/auth/password/reset", {"email": "ann@example.com"}, format="json")
        token = reset_token_from_outbox()
        traveller.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60))

        response = api_client.put(
            f"/api/auth/password/reset/{token}", {"password": STRONG}, format="json"
        )

    assert response.status_code == 400
    assert "token" in response.json()["errors"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_reset_validates_the_new_password(api_client):
    user = verified_user(email="ann@example.com")
    api_client.post("/api/auth/password/reset", {"email": "ann@example.com"}, format="json")
    token = reset_token_from_outbox()

    response = api_client.put(
        f"/api/auth/password/reset/{token}", {"password": "123"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["password"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize("token", ["garbage", "Zm9v.abc-def", "MQ.", ".", "%00"])
def test_password_reset_with_a_forged_token_is_400(api_client, token):
    verified_user(email="ann@example.com")

    response = api_client.put(
        f"/api/auth/password/reset/{token}", {"password": STRONG}, format="json"
    )

    assert response.status_code == 400
    assert "token" in response.json()["errors"]


def test_password_reset_revokes_existing_refresh_tokens(api_client):
    tokens = tokens_for(api_client)
    api_client.post("/api/auth/password/reset", {"email": "ann@example.com"}, format="json")
    token = reset_token_from_outbox()

    api_client.put(f"/api/auth/password/reset/{token}", {"password": STRONG}, format="json")

    refused = api_client.post("/api/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert refused.status_code == 401


# --- profile -----------------------------------------------------------------------------


def test_profile_read(client_user):
    api = auth_client(client_user)

    body = api.get("/api/users/profile").json()

    assert body["email"] == client_user.email
    assert body["role"] == "client"
    assert body["timezone"] == "Europe/London"
    assert body["reminder_lead_minutes"] == [1440, 60]
    assert body["preferred_weekdays"] == []


def test_profile_needs_authentication(api_client):
    assert api_client.get("/api/users/profile").status_code == 401


def test_profile_update_changes_user_and_preferences(client_user):
    api = auth_client(client_user)
    body = {
        "first_name": "Zoe",
        "phone": "+44 20 7946 0000",
        "timezone": "America/New_York",
        "preferred_weekdays": [0, 2, 4],
        "preferred_times_of_day": ["morning", "evening"],
        "email_notifications": False,
        "reminders_enabled": True,
        "reminder_lead_minutes": [2880, 30],
        "max_wait_days": 10,
    }

    response = api.put("/api/users/profile", body, format="json")

    assert response.status_code == 200, response.json()
    assert {key: response.json()[key] for key in body} == body
    client_user.refresh_from_db()
    assert (client_user.first_name, client_user.timezone) == ("Zoe", "America/New_York")
    assert client_user.profile.reminder_lead_minutes == [2880, 30]
    assert client_user.profile.email_notifications is False


def test_profile_patch_changes_only_what_is_sent(client_user):
    api = auth_client(client_user)
    last_name = client_user.last_name

    response = api.patch("/api/users/profile", {"max_wait_days": None}, format="json")

    assert response.status_code == 200
    client_user.refresh_from_db()
    assert client_user.last_name == last_name
    assert client_user.profile.max_wait_days is None


def test_profile_accepts_preferences_grouped_under_profile(client_user):
    api = auth_client(client_user)

    response = api.put(
        "/api/users/profile",
        {"first_name": "Ida", "profile": {"preferred_weekdays": [5], "reminders_enabled": False}},
        format="json",
    )

    assert response.status_code == 200
    client_user.profile.refresh_from_db()
    assert client_user.profile.preferred_weekdays == [5]
    assert client_user.profile.reminders_enabled is False


def test_profile_invalid_timezone_is_400_naming_timezone_and_writes_nothing(client_user):
    api = auth_client(client_user)

    response = api.put(
        "/api/users/profile",
        {"first_name": "Changed", "timezone": "Mars/Olympus_Mons"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["timezone"]
    client_user.refresh_from_db()
    assert client_user.first_name != "Changed"
    assert client_user.timezone == "Europe/London"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("preferred_weekdays", [7]),
        ("preferred_weekdays", [1, 1]),
        ("preferred_weekdays", "monday"),
        ("preferred_times_of_day", ["midnight"]),
        ("reminder_lead_minutes", [0]),
        ("reminder_lead_minutes", [-5]),
        ("reminder_lead_minutes", [10, 20, 30, 40, 50, 60]),
        ("reminder_lead_minutes", ["soon"]),
        ("email_notifications", "yes"),
        ("reminders_enabled", 1),
        ("max_wait_days", 400),
        ("max_wait_days", "a week"),
        ("first_name", "x" * 151),
        ("phone", "1" * 33),
        ("phone", 447700900000),
        ("timezone", 5),
        ("profile", "not an object"),
    ],
)
def test_profile_bad_input_is_400_naming_the_field(client_user, field, value):
    api = auth_client(client_user)
    before = Profile.objects.get(user=client_user)

    response = api.patch("/api/users/profile", {field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    after = Profile.objects.get(user=client_user)
    assert [getattr(after, f) for f in ("preferred_weekdays", "reminder_lead_minutes")] == [
        getattr(before, f) for f in ("preferred_weekdays", "reminder_lead_minutes")
    ]


def test_profile_malformed_json_is_400(client_user):
    api = auth_client(client_user)

    response = api.generic(
        "PUT", "/api/users/profile", "{not json", content_type="application/json"
    )

    assert response.status_code == 400


def test_profile_read_works_for_a_user_without_profile_row(db):
    user = User.objects.create_user(email="shell@example.com", password=STRONG)

    response = auth_client(user).get("/api/users/profile")

    assert response.status_code == 200
    assert response.json()["email_notifications"] is True
    assert not Profile.objects.filter(user=user).exists()


def test_profile_limits_are_read_changed_and_checked(client_user, time_machine):
    time_machine.move_to("2026-03-02T09:00:00Z", tick=False)
    api = auth_client(client_user)
    body = api.get("/api/users/profile").json()
    assert (body["earliest_time"], body["latest_time"], body["avoided_weekdays"]) == (
        "07:00",
        "21:00",
        [],
    )
    assert client_user.profile.preferences_changed_at is None

    response = api.patch(
        "/api/users/profile",
        {
            "earliest_time": "12:00",
            "latest_time": "14:00",
            "avoided_weekdays": [0],
            "preferred_times_of_day": ["lunchtime"],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["earliest_time"], response.json()["avoided_weekdays"]) == ("12:00", [0])
    client_user.profile.refresh_from_db()
    assert client_user.profile.preferences_changed_at.isoformat() == "2026-03-02T09:00:00+00:00"

    # Only a change of the wishes is stamped: the same values again, or a reminder, are not.
    time_machine.move_to("2026-03-05T09:00:00Z", tick=False)
    api.patch("/api/users/profile", {"avoided_weekdays": [0], "max_wait_days": 3}, format="json")
    client_user.profile.refresh_from_db()
    assert client_user.profile.preferences_changed_at.day == 2


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"earliest_time": "18:00", "latest_time": "09:00"}, "latest_time", "after the earliest"),
        ({"earliest_time": "7am"}, "earliest_time", "HH:MM"),
        ({"avoided_weekdays": [0, 1, 2, 3, 4, 5, 6]}, "avoided_weekdays", "at least one day"),
        (
            {"preferred_weekdays": [1], "avoided_weekdays": [1]},
            "avoided_weekdays",
            "both preferred and avoided",
        ),
        ({"avoided_weekdays": [7]}, "avoided_weekdays", "Monday to Sunday"),
    ],
)
def test_impossible_limits_are_refused_by_field_and_nothing_is_written(
    client_user, change, field, words
):
    api = auth_client(client_user)
    response = api.patch("/api/users/profile", change, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert words in " ".join(response.json()["errors"][field])
    client_user.profile.refresh_from_db()
    assert client_user.profile.avoided_weekdays == []
    assert f"{client_user.profile.earliest_time:%H:%M}" == "07:00"
