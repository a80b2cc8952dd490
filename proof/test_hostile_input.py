"""Hostile input: over-long strings, unicode edge cases, wrong types, huge pages, dates far
away, naive datetimes, invalid time zones, SQL and HTML injection in every free-text field.

Each request gets a 4xx JSON error (naming the field for a 400) or is stored exactly as sent
and shown escaped on the web pages; never a 500, never a partial write.
"""

import json
from datetime import timedelta

import pytest
from django.core import mail

from accounts.tests.factories import DEFAULT_PASSWORD
from proof.support import next_weekday_at
from scheduling.models import Appointment
from scheduling.tests.support import rolled_back

SQL = "'; DROP TABLE scheduling_appointment; --"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
HOSTILE_TEXT = {
    "over-long": "x" * 100_000,
    "NUL byte": "before\x00after",
    "lone surrogate": "\ud800",
    "RTL override": "\u202egnp.exe",
    "emoji ZWJ": "\U0001f469\u200d\U0001f469\u200d\U0001f467 \U0001f600",
    "combining marks": "e" + "\u0301" * 50,
    "zero-width": "\u200b\u200c\u200d\ufeff",
    "SQL injection": SQL,
    "HTML injection": XSS,
    "template syntax": "{{ request }}{% debug %}",
    "format string": "%s%n%x{0}{}",
    "CRLF header injection": "a\r\nSet-Cookie: pwned=1",
    "only spaces": "   ",
}
WRONG_TYPES = {
    "number": 12345,
    "float": 1.5,
    "boolean": True,
    "null": None,
    "list": ["a", "b"],
    "object": {"$gt": ""},
    "huge int": 2**80,
    "negative": -1,
}
BAD_INSTANTS = {
    "far past": "0001-01-01T00:00:00Z",
    "far future": "9999-12-31T23:59:59Z",
    "beyond year 9999": "+275760-09-13T00:00:00Z",
    "naive": "2030-06-01T10:00:00",
    "impossible date": "2030-02-30T10:00:00Z",
    "offset out of range": "2030-06-01T10:00:00+25:00",
    "words": "tomorrow at ten",
    "empty": "",
    "epoch number": 1893456000,
    "SQL": SQL,
    "trailing NUL": "2030-06-03T10:00:00Z\u0000",
    "trailing newline": "2030-06-03T10:00:00Z\n",
}
BAD_TIMEZONES = ["Mars/Olympus_Mons", "../../etc/passwd", "UTC\x00", "", "Europe/Londonx", "+01:00"]


def _json(response):
    try:
        return response.json()
    except (ValueError, TypeError):
        return None


def stored_form(value: str) -> str:
    """What a text field keeps: the value with surrounding whitespace trimmed (DRF)."""
    return value.strip()


def assert_clean(response, label: str, *, field: str | None = None) -> None:
    assert response.status_code < 500, f"{label}: {response.status_code}"
    if response.status_code >= 400:
        body = _json(response)
        assert isinstance(body, dict) and "detail" in body, f"{label}: not the error envelope"
        if response.status_code == 400 and field is not None:
            named = " ".join(body.get("errors", {}))
            assert field in named, f"{label}: 400 does not name {field!r}: {body}"


def _rolled_back(call):
    with rolled_back():
        response = call()
    return response


def send(api, method: str, path: str, body):
    """JSON with non-ASCII escaped (as browsers and most clients send it), so even a lone
    surrogate reaches the server as `\\ud800` for it to deal with."""
    return getattr(api, method)(path, data=json.dumps(body), content_type="application/json")


# --- free text: stored exactly, or refused; shown escaped --------------------------------


@pytest.mark.parametrize("label", list(HOSTILE_TEXT))
def test_hostile_appointment_notes_are_refused_or_stored_verbatim(world, label):
    value = HOSTILE_TEXT[label]
    api = world.api("client_a")
    before = Appointment.objects.count()
    start = next_weekday_at(3, 14, weeks_ahead=2)
    response = send(
        api,
        "post",
        "/api/appointments",
        {
            "provider": world.p1.pk,
            "service": world.service.pk,
            "start": start.isoformat(),
            "client_notes": value,
        },
    )
    assert_clean(response, label, field="client_notes")
    if response.status_code == 201:
        stored = Appointment.objects.get(pk=response.json()["id"])
        assert stored.client_notes == stored_form(value)
        assert response.json()["client_notes"] == stored_form(value)
    else:
        assert Appointment.objects.count() == before  # nothing half-written

    patched = send(api, "patch", f"/api/appointments/{world.appt_a.pk}", {"client_notes": value})
    assert_clean(patched, f"PATCH {label}", field="client_notes")
    world.appt_a.refresh_from_db()
    if patched.status_code == 200:
        assert world.appt_a.client_notes == stored_form(value)
    else:
        assert world.appt_a.client_notes == "A's private note"


@pytest.mark.parametrize("label", list(HOSTILE_TEXT))
def test_hostile_profile_text_is_refused_or_stored_verbatim(world, label):
    value = HOSTILE_TEXT[label]
    user = world.users["client_a"]
    for field in ("first_name", "last_name", "phone"):
        response = send(world.api("client_a"), "patch", "/api/users/profile", {field: value})
        assert_clean(response, f"{field} {label}", field=field)
        user.refresh_from_db()
        if response.status_code == 200:
            assert getattr(user, field) == stored_form(value)
        else:
            assert getattr(user, field) != value


@pytest.mark.parametrize("label", list(HOSTILE_TEXT))
def test_hostile_cancellation_reason_is_refused_or_stored_verbatim(world, label):
    value = HOSTILE_TEXT[label]
    response = send(
        world.api("client_a"), "delete", f"/api/appointments/{world.appt_a.pk}", {"reason": value}
    )
    assert_clean(response, label, field="reason")
    world.appt_a.refresh_from_db()
    if response.status_code == 200:
        assert world.appt_a.status == "cancelled"
        assert world.appt_a.cancellation_reason == stored_form(value)
    else:
        assert world.appt_a.status == "booked"


@pytest.mark.parametrize("label", list(HOSTILE_TEXT))
def test_hostile_admin_provider_fields_are_refused_or_stored(world, label):
    from providers.models import Provider

    value = HOSTILE_TEXT[label]
    before = Provider.objects.count()
    for index, field in enumerate(("display_name", "bio", "first_name", "country")):
        body = {
            "email": f"hostile{index}@example.com",
            "first_name": "Nia",
            "last_name": "New",
            "display_name": "Dr. New",
            "timezone": "Europe/London",
            "service_ids": [world.service.pk],
            "working_hours": [{"weekday": 0, "start_time": "09:00", "end_time": "12:00"}],
            field: value,
        }
        response = _rolled_back(
            lambda body=body: send(world.api("admin"), "post", "/api/admin/providers", body)
        )
        assert_clean(response, f"{field} {label}", field=field)
    assert Provider.objects.count() == before


@pytest.mark.parametrize("label", list(HOSTILE_TEXT))
def test_hostile_registration_is_refused_or_stored(db, api_client, label):
    from accounts.models import User

    value = HOSTILE_TEXT[label]
    before = User.objects.count()
    for field in ("email", "password", "first_name"):
        body = {"email": "new@example.com", "password": "a-Long-and-unusual-pass-42"}
        body[field] = value
        response = _rolled_back(
            lambda body=body: send(api_client, "post", "/api/auth/register", body)
        )
        assert_clean(response, f"{field} {label}", field=field)
    assert User.objects.count() == before


def test_injected_html_is_escaped_on_every_page_and_email(
    world, django_capture_on_commit_callbacks
):
    client, provider = world.users["client_a"], world.users["provider"]
    client.first_name = XSS
    client.save()
    world.appt_a.client_notes = XSS
    world.appt_a.save()
    world.p1.display_name = XSS
    world.p1.save()
    pages = [
        ("client_a", f"/appointments/{world.appt_a.pk}"),
        ("client_a", "/appointments"),
        ("client_a", "/book"),
        ("client_a", "/notifications"),
        ("client_a", "/profile"),
        ("provider", f"/appointments/{world.appt_a.pk}"),
        ("provider", "/schedule"),
        ("admin", f"/appointments/{world.appt_a.pk}"),
    ]
    for role, path in pages:
        response = world.web(role).get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert "<script>alert(" not in html, f"{role} {path} renders raw script"
        assert "<img src=x onerror" not in html, f"{role} {path} renders raw img"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            world.api("client_a"),
            "patch",
            f"/api/appointments/{world.appt_a.pk}",
            {"start": next_weekday_at(1, 15, weeks_ahead=3).isoformat()},
        )
    assert response.status_code == 200, response.content
    assert mail.outbox, "the reschedule sent no email"
    for message in mail.outbox:
        for alternative, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                assert "<script>alert(" not in alternative
                assert "<img src=x onerror" not in alternative
    assert provider.pk


def test_sql_injection_text_is_data_not_sql(world):
    rows = Appointment.objects.count()
    response = world.api("client_a").patch(
        f"/api/appointments/{world.appt_a.pk}", {"client_notes": SQL}
    )
    assert response.status_code == 200
    assert Appointment.objects.filter(client_notes=SQL).count() == 1
    assert Appointment.objects.count() == rows > 0  # the table is still there, rows intact
    listed = world.api("client_a").get("/api/appointments", {"status": SQL, "provider": SQL})
    assert_clean(listed, "SQL in filters")


# --- wrong types ----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["provider", "service", "start", "urgency", "client_notes"])
def test_wrong_types_in_booking_are_400_naming_the_field(world, field):
    before = Appointment.objects.count()
    good = {
        "provider": world.p1.pk,
        "service": world.service.pk,
        "start": next_weekday_at(3, 14, weeks_ahead=2).isoformat(),
    }
    for label, value in WRONG_TYPES.items():
        if field == "client_notes" and value is None:
            continue
        response = send(world.api("client_a"), "post", "/api/appointments", {**good, field: value})
        assert response.status_code == 400, f"{field}={label}: {response.status_code}"
        assert_clean(response, f"{field}={label}", field=field)
    assert Appointment.objects.count() == before


@pytest.mark.parametrize(
    "raw, content_type",
    [
        ("{not json", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('"a string"', "application/json"),
        ("null", "application/json"),
        ("{}", "application/json"),
        ('{"provider": 1, "provider": "x"}', "application/json"),
        ("\xff\xfe garbage", "application/json"),
        ("provider=1&service=1&start=2030-01-01T10:00:00Z", "application/x-www-form-urlencoded"),
        ("<xml/>", "application/xml"),
        ('{"a": ' * 5000 + "1" + "}" * 5000, "application/json"),
    ],
    ids=[
        "truncated",
        "list",
        "string",
        "null",
        "empty object",
        "duplicate keys",
        "invalid utf-8",
        "form encoded",
        "xml",
        "5000 levels deep",
    ],
)
def test_malformed_bodies_are_4xx(world, raw, content_type):
    before = Appointment.objects.count()
    for method, path in (
        ("post", "/api/appointments"),
        ("patch", f"/api/appointments/{world.appt_a.pk}"),
        ("put", "/api/users/profile"),
        ("post", "/api/auth/login"),
    ):
        call = getattr(world.api("client_a"), method)
        response = call(path, data=raw.encode("utf-8", "surrogatepass"), content_type=content_type)
        assert 400 <= response.status_code < 500 or response.status_code == 200, (
            f"{method} {path} {raw[:30]!r}: {response.status_code}"
        )
        assert_clean(response, f"{method} {path}")
    assert Appointment.objects.count() == before


def test_profile_wrong_types_are_400_naming_the_field(world):
    cases = {
        "preferred_weekdays": [["monday"], [7], [-1], "0,1", {"0": 1}, [0] * 1000],
        "preferred_times_of_day": [["midnight"], "morning", [1], [None]],
        "reminder_lead_minutes": [[-5], [10**12], "60", [60] * 1000, [[60]]],
        "max_wait_days": [-1, 10**9, "soon", [1]],
        "email_notifications": ["yes", 2, [True]],
        "first_name": [123, ["a"], {"a": 1}],
    }
    for field, values in cases.items():
        for value in values:
            response = send(world.api("client_a"), "patch", "/api/users/profile", {field: value})
            assert response.status_code == 400, f"{field}={value!r}: {response.status_code}"
            assert_clean(response, f"{field}={value!r}", field=field)


# --- time zones and instants --------------------------------------------------------------


@pytest.mark.parametrize("value", BAD_TIMEZONES)
def test_invalid_time_zones_are_400_naming_the_field(world, value):
    response = send(world.api("client_a"), "patch", "/api/users/profile", {"timezone": value})
    assert response.status_code == 400, f"{value!r}: {response.status_code}"
    assert_clean(response, value, field="timezone")
    world.users["client_a"].refresh_from_db()
    assert world.users["client_a"].timezone == "Europe/London"
    admin = send(
        world.api("admin"),
        "post",
        "/api/admin/providers",
        {
            "email": "tz@example.com",
            "first_name": "T",
            "last_name": "Z",
            "display_name": "Dr. Zone",
            "timezone": value,
            "service_ids": [world.service.pk],
            "working_hours": [],
        },
    )
    assert admin.status_code == 400
    assert_clean(admin, value, field="timezone")


@pytest.mark.parametrize("label", list(BAD_INSTANTS))
def test_bad_instants_are_400_everywhere(world, label):
    value = BAD_INSTANTS[label]
    before = Appointment.objects.count()
    booking = send(
        world.api("client_a"),
        "post",
        "/api/appointments",
        {"provider": world.p1.pk, "service": world.service.pk, "start": value},
    )
    assert booking.status_code == 400, f"book {label}: {booking.status_code}"
    assert_clean(booking, f"book {label}", field="start")
    moved = send(
        world.api("client_a"), "patch", f"/api/appointments/{world.appt_a.pk}", {"start": value}
    )
    assert moved.status_code == 400, f"reschedule {label}: {moved.status_code}"
    assert_clean(moved, f"reschedule {label}", field="start")
    assert Appointment.objects.count() == before
    good = next_weekday_at(0, 0, weeks_ahead=2).isoformat()
    for path in (
        f"/api/providers/{world.p1.pk}/availability",
        "/api/appointments/available",
        "/api/appointments/recommended",
    ):
        for start, end in ((value, good), (good, value)):
            response = world.api("client_a").get(
                path, {"service": world.service.pk, "start": start, "end": end}
            )
            assert response.status_code == 400, f"{path} {label}: {response.status_code}"
            assert_clean(response, f"{path} {label}")
    listed = world.api("client_a").get("/api/appointments", {"start_after": value})
    assert_clean(listed, f"filter {label}", field="start_after")
    for path in ("/api/admin/analytics/bookings", "/api/admin/analytics/users"):
        for name in ("start", "end", "date_from", "date_to", "from", "to"):
            response = world.api("admin").get(path, {name: value})
            assert_clean(response, f"{path}?{name}={label}")


def test_huge_availability_windows_are_refused_quickly(world):
    import time

    start = next_weekday_at(0, 0, weeks_ahead=1)
    for path in (
        f"/api/providers/{world.p1.pk}/availability",
        "/api/appointments/available",
        "/api/appointments/recommended",
    ):
        began = time.perf_counter()
        response = world.api("client_a").get(
            path,
            {
                "service": world.service.pk,
                "start": start.isoformat(),
                "end": (start + timedelta(days=365 * 50)).isoformat(),
            },
        )
        assert response.status_code == 400, f"{path}: {response.status_code}"
        assert_clean(response, path)
        assert time.perf_counter() - began < 5, f"{path} took too long to refuse"
        backwards = world.api("client_a").get(
            path,
            {
                "service": world.service.pk,
                "start": start.isoformat(),
                "end": (start - timedelta(days=1)).isoformat(),
            },
        )
        assert backwards.status_code == 400, f"{path} end before start"


# --- pagination -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/appointments",
        "/api/notifications",
        "/api/services",
        "/api/providers",
        "/api/admin/users",
        "/api/admin/appointments",
    ],
)
def test_huge_and_silly_page_parameters_are_bounded(world, path):
    api = world.api("admin")
    for params in (
        {"page_size": 10**12},
        {"page_size": -5},
        {"page_size": "all"},
        {"page_size": "1e9"},
        {"page": 10**20},
        {"page": -1},
        {"page": "last"},
        {"page": 0},
        {"page": "1\x00"},
    ):
        response = api.get(path, params)
        assert response.status_code in (200, 400, 404), f"{path} {params}: {response.status_code}"
        assert_clean(response, f"{path} {params}")
        if response.status_code == 200:
            data = response.json()
            items = data["results"] if isinstance(data, dict) and "results" in data else data
            assert len(items) <= 100, f"{path} {params} returned {len(items)} items"


def test_nul_and_garbage_in_query_strings_are_4xx_or_ignored(world):
    api = world.api("client_a")
    for path in (
        "/api/appointments",
        "/api/providers",
        "/api/services",
        "/api/appointments/available",
        f"/api/providers/{world.p1.pk}/availability",
    ):
        for params in (
            {"service": "1\x00"},
            {"service": "\ud800"},
            {"provider": "1 OR 1=1"},
            {"status": "booked\x00"},
            {"category": SQL},
            {"service": 2**80},
            {"provider": "1e400"},
            {"service": "NaN"},
        ):
            query = "&".join(
                f"{key}={json.dumps(value)[1:-1] if isinstance(value, str) else value}"
                for key, value in params.items()
            )
            response = api.get(f"{path}?{query}")
            assert_clean(response, f"{path}?{query}")


# --- unknown fields and control characters in request bodies --------------------------------


def test_booking_with_an_unknown_field_is_400_naming_it(world):
    before = Appointment.objects.count()
    body = {
        "provider": world.p1.pk,
        "service": world.service.pk,
        "start": next_weekday_at(3, 14, weeks_ahead=2).isoformat(),
        "price": "0.00",
        "discount": 100,
    }
    response = send(world.api("client_a"), "post", "/api/appointments", body)

    assert response.status_code == 400, response.json()
    assert set(response.json()["errors"]) == {"price", "discount"}
    assert Appointment.objects.count() == before


def test_a_refused_field_keeps_its_own_message_next_to_an_unknown_one(world):
    body = {
        "provider": world.p1.pk,
        "service": world.service.pk,
        "start": next_weekday_at(3, 14, weeks_ahead=2).isoformat(),
        "status": "completed",
        "price": "0.00",
    }
    errors = send(world.api("client_a"), "post", "/api/appointments", body).json()["errors"]

    assert errors["status"] == ["This is set by the booking service, not by the client."]
    assert errors["price"] == ["Unknown field: this request does not accept it."]


def test_unknown_fields_are_named_together_with_invalid_ones(world):
    body = {"provider": world.p1.pk, "service": "x", "start": "soon", "price": "0.00"}
    response = send(world.api("client_a"), "post", "/api/appointments", body)

    assert response.status_code == 400
    assert {"service", "start", "price"} <= set(response.json()["errors"])


def test_profile_patch_with_a_made_up_key_is_400_and_changes_nothing(world):
    user = world.users["client_a"]
    before = user.first_name
    response = send(
        world.api("client_a"),
        "patch",
        "/api/users/profile",
        {"first_name": "Changed", "is_superuser": True, "profile": {"vip": True}},
    )

    assert response.status_code == 400, response.json()
    assert set(response.json()["errors"]) == {"is_superuser", "vip"}
    user.refresh_from_db()
    assert user.first_name == before and not user.is_superuser


def test_register_with_extra_keys_is_400_naming_each(db, api_client):
    from accounts.models import User

    body = {
        "email": "new@example.com",
        "password": "a-Long-and-unusual-pass-42",
        "role": "admin",
        "is_staff": True,
    }
    response = send(api_client, "post", "/api/auth/register", body)

    assert response.status_code == 400, response.json()
    assert set(response.json()["errors"]) == {"role", "is_staff"}
    assert not User.objects.filter(email="new@example.com").exists()


def test_admin_provider_create_refuses_unknown_keys_inside_working_hours(world):
    body = {
        "email": "new.provider@example.com",
        "first_name": "Pat",
        "last_name": "Lee",
        "display_name": "Dr Lee",
        "timezone": "Europe/London",
        "service_ids": [world.service.pk],
        "working_hours": [{"weekday": 0, "start_time": "09:00", "end_time": "17:00", "room": "B"}],
    }
    response = send(world.api("admin"), "post", "/api/admin/providers", body)

    assert response.status_code == 400, response.json()
    assert list(response.json()["errors"]) == ["working_hours[0].room"]


def test_a_booking_start_with_a_trailing_nul_is_400_naming_start(world):
    before = Appointment.objects.count()
    start = next_weekday_at(3, 14, weeks_ahead=2).isoformat()
    body = {"provider": world.p1.pk, "service": world.service.pk, "start": start + "\u0000"}
    response = send(world.api("client_a"), "post", "/api/appointments", body)

    assert response.status_code == 400, response.json()
    assert list(response.json()["errors"]) == ["start"]
    assert "control characters" in response.json()["errors"]["start"][0]
    assert Appointment.objects.count() == before


# --- the client address behind proxies ----------------------------------------------------


def reset_requests(api_client, count: int, *, forwarded_for=None, remote_addr="203.0.113.9"):
    statuses = []
    for attempt in range(count):
        extra = {"REMOTE_ADDR": remote_addr}
        if forwarded_for is not None:
            extra["HTTP_X_FORWARDED_FOR"] = forwarded_for(attempt)
        response = api_client.post(
            "/api/auth/password/reset", {"email": "someone@example.com"}, format="json", **extra
        )
        statuses.append(response.status_code)
    return statuses


def auth_rate() -> int:
    from django.conf import settings

    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"].split("/")[0])


def test_a_forged_forwarded_for_header_does_not_reset_the_auth_throttle(db, api_client):
    rate = auth_rate()

    statuses = reset_requests(api_client, rate + 1, forwarded_for=lambda n: f"198.51.100.{n}")

    assert statuses[rate] == 429


def test_behind_one_proxy_the_throttle_counts_the_address_it_forwarded(db, api_client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    rate = auth_rate()

    # The client forges a first hop each time; the proxy appends the address it saw.
    same_client = reset_requests(
        api_client, rate + 1, forwarded_for=lambda n: f"10.0.0.{n}, 198.51.100.7"
    )
    other_client = reset_requests(api_client, 1, forwarded_for=lambda n: "10.0.0.1, 198.51.100.8")

    assert same_client[rate] == 429
    assert other_client == [202]


def test_a_forged_forwarded_for_header_does_not_dodge_the_login_lockout(db, api_client):
    from django.conf import settings

    from accounts.tests.factories import verified_user

    verified_user(email="ann@example.com")
    statuses = []
    for attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        response = api_client.post(
            "/api/auth/login",
            {"email": "ann@example.com", "password": "wrong-guess-xx"},
            format="json",
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}",
        )
        statuses.append(response.status_code)

    assert statuses[-1] == 429


def test_behind_one_proxy_the_login_lockout_counts_the_forwarded_client(db, api_client, settings):
    from accounts.tests.factories import verified_user

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    verified_user(email="ann@example.com")

    def login(password: str, client_address: str) -> int:
        return api_client.post(
            "/api/auth/login",
            {"email": "ann@example.com", "password": password},
            format="json",
            REMOTE_ADDR="10.0.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR=f"192.0.2.1, {client_address}",
        ).status_code

    for _ in range(settings.AXES_FAILURE_LIMIT):
        login("wrong-guess-xx", "198.51.100.7")

    assert login("wrong-guess-xx", "198.51.100.7") == 429
    # Another client behind the same proxy is not locked out with the first.
    assert login(DEFAULT_PASSWORD, "198.51.100.8") == 200
