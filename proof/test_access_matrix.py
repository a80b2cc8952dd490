"""Access matrix: every endpoint and page x {anonymous, client A, client B, the provider of
the appointment, another provider, admin} x {read, change, delete}, with the exact status.

The objects belong to client A (`appt_a`, `past_a`, `notification_a`) and their provider P1
(see conftest.py). Each role's request runs in a savepoint rolled back afterwards, so every
role meets the same clinic. Wherever a role is refused, the answer must not carry the
object's private data.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from proof.support import ROLES, next_weekday_at
from scheduling.tests.support import rolled_back

ANON, A, B, P1, P2, ADMIN = ROLES
SECRET_NOTE = "A's private note"


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def signed_in(status: int) -> dict[str, int]:
    return {**everyone(status), ANON: 401}


def admin_only(status: int) -> dict[str, int]:
    return {ANON: 401, A: 403, B: 403, P1: 403, P2: 403, ADMIN: status}


def parties_of_a(status: int, *, provider: int | None = None, admin: int | None = None):
    """Client A, P1 and admin reach A's appointment; B and P2 do not even learn it exists."""
    return {
        ANON: 401,
        A: status,
        B: 404,
        P1: status if provider is None else provider,
        P2: 404,
        ADMIN: status if admin is None else admin,
    }


def own_only(status: int) -> dict[str, int]:
    """Client A's own waitlist rows: everyone else, staff too, does not learn they exist."""
    return {ANON: 401, A: status, B: 404, P1: 404, P2: 404, ADMIN: 404}


def p1_only(status: int) -> dict[str, int]:
    """P1's own calendar connection: everyone else, staff too (the admin shows them),
    does not learn it exists."""
    return {ANON: 401, A: 404, B: 404, P1: status, P2: 404, ADMIN: 404}


def page(status: int, *, anon_redirects: bool = True) -> dict[str, int]:
    return {**everyone(status), **({ANON: 302} if anon_redirects else {})}


@dataclass
class Row:
    name: str
    action: str  # read, change or delete
    method: str
    path: str  # formatted with the world's ids
    expected: dict[str, int]
    body: dict | None = None
    web: bool = False  # a page, with the session instead of a token
    visible_ids: dict[str, set[str]] = field(default_factory=dict)


def _paths(world) -> dict[str, object]:
    monday = next_weekday_at(0, 0, weeks_ahead=2)
    return {
        "appt_a": world.appt_a.pk,
        "past_a": world.past_a.pk,
        "notification_a": world.notification_a.pk,
        "client_a": world.users[A].pk,
        "p1": world.p1.pk,
        "service": world.service.pk,
        "feed_a": world.feed_token_a,
        "entry_a": world.entry_a.pk,
        "offer_a": world.offer_a.pk,
        "offer_token_a": world.offer_token_a,
        "calendar_p1": world.calendar_p1.pk,
        "series_a": world.series_a.pk,
        "session_a": world.session_a.pk,
        "series_a_first": world.series_a.occurrences.order_by("start").first().pk,
        "series_a_moved": next_weekday_at(2, 13).isoformat(),
        "series_free": next_weekday_at(3, 11, weeks_ahead=2).isoformat(),
        "wl_first": (monday + timedelta(days=1)).date().isoformat(),
        "wl_last": (monday + timedelta(days=4)).date().isoformat(),
        "window": f"service={world.service.pk}&start={monday.isoformat().replace('+', '%2B')}"
        f"&end={(monday + timedelta(days=5)).isoformat().replace('+', '%2B')}",
    }


def _free_slot(world) -> str:
    return next_weekday_at(3, 14, weeks_ahead=2).isoformat()


ROWS = [
    # --- appointments, the heart of it ---------------------------------------------------
    Row("list own appointments", "read", "GET", "/api/appointments", signed_in(200)),
    Row("appointment detail", "read", "GET", "/api/appointments/{appt_a}", parties_of_a(200)),
    Row(
        "edit appointment notes (PATCH)",
        "change",
        "PATCH",
        "/api/appointments/{appt_a}",
        parties_of_a(200),
        body={"client_notes": "changed"},
    ),
    Row(
        "edit appointment notes (PUT)",
        "change",
        "PUT",
        "/api/appointments/{appt_a}",
        parties_of_a(200),
        body={"client_notes": "changed"},
    ),
    Row(
        "reschedule appointment",
        "change",
        "PATCH",
        "/api/appointments/{appt_a}",
        parties_of_a(200),
        body={"start": "{free_slot}"},
    ),
    Row("cancel appointment", "delete", "DELETE", "/api/appointments/{appt_a}", parties_of_a(200)),
    Row(
        "mark completed",
        "change",
        "POST",
        "/api/appointments/{past_a}/complete",
        parties_of_a(200, provider=200) | {A: 403},
    ),
    Row(
        "mark no-show",
        "change",
        "POST",
        "/api/appointments/{past_a}/no-show",
        parties_of_a(200) | {A: 403},
    ),
    Row(
        "book",
        "change",
        "POST",
        "/api/appointments",
        # P1 is the provider booked: "Providers cannot book themselves" names the field.
        signed_in(201) | {P1: 400},
        body={"provider": "{p1}", "service": "{service}", "start": "{free_slot}"},
    ),
    Row(
        "available slots",
        "read",
        "GET",
        "/api/appointments/available?{window}",
        everyone(200),  # visitors browse free times before signing up
    ),
    Row(
        "recommended slots",
        "read",
        "GET",
        "/api/appointments/recommended?{window}",
        signed_in(200),
    ),
    Row("admin appointment list", "read", "GET", "/api/admin/appointments", admin_only(200)),
    Row(
        "admin appointment detail",
        "read",
        "GET",
        "/api/admin/appointments/{appt_a}",
        admin_only(200),
    ),
    Row(
        "admin appointment change",
        "change",
        "PATCH",
        "/api/admin/appointments/{appt_a}",
        admin_only(200),
        body={"client_notes": "staff note"},
    ),
    Row(
        "admin appointment cancel",
        "delete",
        "PUT",
        "/api/admin/appointments/{appt_a}",
        admin_only(200),
        body={"status": "cancelled", "reason": "clinic closed"},
    ),
    # --- recurring series ----------------------------------------------------------------
    Row("list own series", "read", "GET", "/api/series", signed_in(200)),
    Row("series detail", "read", "GET", "/api/series/{series_a}", parties_of_a(200)),
    Row(
        "check a series",
        "read",
        "POST",
        "/api/series/check",
        signed_in(200),
        body={
            "provider": "{p1}",
            "service": "{service}",
            "start": "{series_free}",
            "frequency": "weekly",
            "count": 2,
        },
    ),
    Row(
        "book a series",
        "change",
        "POST",
        "/api/series",
        # P1 is the provider booked: "Providers cannot book themselves" names the field.
        signed_in(201) | {P1: 400},
        body={
            "provider": "{p1}",
            "service": "{service}",
            "start": "{series_free}",
            "frequency": "weekly",
            "count": 2,
        },
    ),
    Row(
        "move a series occurrence",
        "change",
        "POST",
        "/api/series/{series_a}/move",
        parties_of_a(200),
        body={"appointment": "{series_a_first}", "start": "{series_a_moved}", "scope": "this"},
    ),
    Row(
        "cancel a series",
        "delete",
        "POST",
        "/api/series/{series_a}/cancel",
        parties_of_a(200),
        body={"appointment": "{series_a_first}", "scope": "all"},
    ),
    # --- group sessions ------------------------------------------------------------------
    Row("list group sessions", "read", "GET", "/api/sessions", signed_in(200)),
    Row("group session detail", "read", "GET", "/api/sessions/{session_a}", parties_of_a(200)),
    Row(
        "cancel a group session",
        "delete",
        "POST",
        "/api/sessions/{session_a}/cancel",
        # A holds a seat (and cancels it as an appointment); the session is the provider's.
        parties_of_a(200) | {A: 403},
        body={"reason": "The studio is closed."},
    ),
    # --- providers and services: public ---------------------------------------------------
    Row("services", "read", "GET", "/api/services", everyone(200)),
    Row("service detail", "read", "GET", "/api/services/{service}", everyone(200)),
    Row("providers", "read", "GET", "/api/providers", everyone(200)),
    Row("provider detail", "read", "GET", "/api/providers/{p1}", everyone(200)),
    Row(
        "provider availability",
        "read",
        "GET",
        "/api/providers/{p1}/availability?{window}",
        everyone(200),
    ),
    Row(
        "admin add provider",
        "change",
        "POST",
        "/api/admin/providers",
        admin_only(201),
        body={
            "email": "new.provider@example.com",
            "password": "a-Long-and-unusual-pass-42",
            "first_name": "Nia",
            "last_name": "New",
            "display_name": "Dr. New",
            "timezone": "Europe/Paris",
            "service_ids": ["{service}"],
            "working_hours": [{"weekday": 0, "start_time": "09:00", "end_time": "12:00"}],
        },
    ),
    # --- accounts --------------------------------------------------------------------------
    Row("own profile", "read", "GET", "/api/users/profile", signed_in(200)),
    Row(
        "change own profile",
        "change",
        "PATCH",
        "/api/users/profile",
        signed_in(200),
        body={"first_name": "Changed"},
    ),
    Row("own provider preferences", "read", "GET", "/api/users/profile/providers", signed_in(200)),
    Row(
        "change own provider preferences",
        "change",
        "PUT",
        "/api/users/profile/providers",
        signed_in(200),
        body={"preferred_providers": ["{p1}"], "avoided_providers": []},
    ),
    Row("admin user list", "read", "GET", "/api/admin/users", admin_only(200)),
    Row("admin user detail", "read", "GET", "/api/admin/users/{client_a}", admin_only(200)),
    Row(
        "admin user change",
        "change",
        "PATCH",
        "/api/admin/users/{client_a}",
        admin_only(200),
        body={"first_name": "Renamed"},
    ),
    Row(
        "admin user delete",
        "delete",
        "DELETE",
        "/api/admin/users/{client_a}",
        admin_only(204),
    ),
    Row(
        "register",
        "change",
        "POST",
        "/api/auth/register",
        everyone(201),
        body={"email": "someone.new@example.com", "password": "a-Long-and-unusual-pass-42"},
    ),
    Row(
        "log in with a wrong password",
        "read",
        "POST",
        "/api/auth/login",
        everyone(401),
        body={"email": "client.a@example.com", "password": "not-the-password-1"},
    ),
    Row(
        "password reset request",
        "change",
        "POST",
        "/api/auth/password/reset",
        everyone(202),
        body={"email": "client.a@example.com"},
    ),
    Row(
        "refresh own token",
        "read",
        "POST",
        "/api/auth/refresh",
        {**everyone(200), ANON: 401},
        body={"refresh": "{refresh}"},
    ),
    Row(
        "log out (blacklist own refresh token)",
        "delete",
        "POST",
        "/api/auth/logout",
        signed_in(204),
        body={"refresh": "{refresh}"},
    ),
    Row("API schema", "read", "GET", "/api/schema/", everyone(200)),
    Row("API docs", "read", "GET", "/api/docs/", everyone(200)),
    # --- notifications and calendar -----------------------------------------------------------
    Row("own notifications", "read", "GET", "/api/notifications", signed_in(200)),
    Row(
        "notification detail",
        "read",
        "GET",
        "/api/notifications/{notification_a}",
        {ANON: 401, A: 200, B: 404, P1: 404, P2: 404, ADMIN: 404},
    ),
    Row(
        "mark notification read",
        "change",
        "POST",
        "/api/notifications/{notification_a}/read",
        {ANON: 401, A: 200, B: 404, P1: 404, P2: 404, ADMIN: 404},
    ),
    Row("mark all read", "change", "POST", "/api/notifications/read-all", signed_in(200)),
    Row("calendar feed url", "read", "GET", "/api/calendar/feed", signed_in(200)),
    Row(
        "regenerate calendar feed",
        "change",
        "POST",
        "/api/calendar/feed/regenerate",
        signed_in(201),
    ),
    # --- waitlist ------------------------------------------------------------------------------
    # --- external calendars: a provider's own only ---------------------------------------
    Row("own calendar connections", "read", "GET", "/api/calendars/connections", signed_in(200)),
    Row(
        "connect a calendar",
        "change",
        "POST",
        "/api/calendars/connections",
        {ANON: 401, A: 403, B: 403, P1: 400, P2: 400, ADMIN: 403},  # providers only; the
        body={"kind": "ics", "url": "https://203.0.113.9/c.ics"},  # address is refused
    ),
    Row(
        "calendar connection detail",
        "read",
        "GET",
        "/api/calendars/connections/{calendar_p1}",
        p1_only(200),
    ),
    Row(
        "choose a connection's calendars",
        "change",
        "PUT",
        "/api/calendars/connections/{calendar_p1}/calendars",
        p1_only(200),
        body={"busy_calendars": [], "receiving_calendar": None},
    ),
    Row(
        "sync a calendar now",
        "change",
        "POST",
        "/api/calendars/connections/{calendar_p1}/sync",
        p1_only(200),
    ),
    Row(
        "disconnect a calendar",
        "delete",
        "DELETE",
        "/api/calendars/connections/{calendar_p1}",
        p1_only(204),
    ),
    Row("own waitlist entries", "read", "GET", "/api/waitlist/entries", signed_in(200)),
    Row(
        "join a waitlist",
        "change",
        "POST",
        "/api/waitlist/entries",
        signed_in(201),
        body={
            "service": "{service}",
            "expires_on": "{wl_last}",
            "ranges": [
                {
                    "first_date": "{wl_first}",
                    "last_date": "{wl_last}",
                    "earliest": "09:00",
                    "latest": "12:00",
                }
            ],
        },
    ),
    Row(
        "waitlist entry detail",
        "read",
        "GET",
        "/api/waitlist/entries/{entry_a}",
        own_only(200),
    ),
    Row(
        "change a waitlist entry",
        "change",
        "PATCH",
        "/api/waitlist/entries/{entry_a}",
        own_only(200),
        body={"urgency": "soon"},
    ),
    Row(
        "leave a waitlist",
        "delete",
        "DELETE",
        "/api/waitlist/entries/{entry_a}",
        own_only(200),
    ),
    Row("own waitlist offers", "read", "GET", "/api/waitlist/offers", signed_in(200)),
    Row("waitlist offer detail", "read", "GET", "/api/waitlist/offers/{offer_a}", own_only(200)),
    Row(
        "accept a waitlist offer",
        "change",
        "POST",
        "/api/waitlist/offers/{offer_a}/accept",
        own_only(200),
    ),
    Row(
        "decline a waitlist offer",
        "change",
        "POST",
        "/api/waitlist/offers/{offer_a}/decline",
        own_only(200),
    ),
    Row(
        "accept an offer with its link's token",
        "change",
        "POST",
        "/api/waitlist/offers/token/accept",
        everyone(200),  # the token is the credential, whoever holds it
        body={"token": "{offer_token_a}"},
    ),
    Row(
        "decline an offer with its link's token",
        "change",
        "POST",
        "/api/waitlist/offers/token/decline",
        everyone(200),
        body={"token": "{offer_token_a}"},
    ),
    Row(
        "accept with a tampered token",
        "change",
        "POST",
        "/api/waitlist/offers/token/accept",
        everyone(400),
        body={"token": "{offer_token_a}x"},
    ),
    # --- analytics ---------------------------------------------------------------------------
    Row("bookings analytics", "read", "GET", "/api/admin/analytics/bookings", admin_only(200)),
    Row("users analytics", "read", "GET", "/api/admin/analytics/users", admin_only(200)),
    # --- operations the API does not offer: refused the same way for everyone ------------
    Row("delete a service", "delete", "DELETE", "/api/services/{service}", everyone(405)),
    Row("change a provider", "change", "PUT", "/api/providers/{p1}", everyone(405)),
    Row(
        "delete a notification",
        "delete",
        "DELETE",
        "/api/notifications/{notification_a}",
        signed_in(405),
    ),
    Row("delete own profile", "delete", "DELETE", "/api/users/profile", signed_in(405)),
    Row(
        "delete a waitlist offer",
        "delete",
        "DELETE",
        "/api/waitlist/offers/{offer_a}",
        signed_in(405),
    ),
    Row(
        "admin appointment delete (cancelling is a status change)",
        "delete",
        "DELETE",
        "/api/admin/appointments/{appt_a}",
        admin_only(405),
    ),
    # --- web pages (session) -------------------------------------------------------------------
    Row("home page", "read", "GET", "/", page(200, anon_redirects=False), web=True),
    Row("book page", "read", "GET", "/book", page(200, anon_redirects=False), web=True),
    Row("my appointments page", "read", "GET", "/appointments", page(200), web=True),
    Row(
        "appointment page",
        "read",
        "GET",
        "/appointments/{appt_a}",
        parties_of_a(200) | {ANON: 302},
        web=True,
    ),
    Row(
        "reschedule page",
        "change",
        "GET",
        "/appointments/{appt_a}/reschedule",
        # The client's own page; the provider and staff move it from the appointment page.
        parties_of_a(200) | {ANON: 302, P1: 404, ADMIN: 404},
        web=True,
    ),
    Row(
        "appointment invite (.ics)",
        "read",
        "GET",
        "/appointments/{appt_a}/ics",
        parties_of_a(200) | {ANON: 302},
        web=True,
    ),
    Row(
        "personal calendar feed by its secret",
        "read",
        "GET",
        "/calendar/{feed_a}.ics",
        everyone(200),
        web=True,
    ),
    Row(
        "calendar feed with a wrong secret",
        "read",
        "GET",
        "/calendar/not-the-token.ics",
        everyone(404),
        web=True,
    ),
    Row(
        "provider schedule page",
        "read",
        "GET",
        "/schedule",
        {ANON: 302, A: 403, B: 403, P1: 200, P2: 200, ADMIN: 403},
        web=True,
    ),
    Row(
        "provider hours page",
        "read",
        "GET",
        "/schedule/hours",
        {ANON: 302, A: 403, B: 403, P1: 200, P2: 200, ADMIN: 403},
        web=True,
    ),
    Row(
        "provider checks shorter hours (own week only: nothing saved)",
        "change",
        "POST",
        "/schedule/hours",
        {ANON: 302, A: 403, B: 403, P1: 200, P2: 200, ADMIN: 403},
        body={"form": "hours", "0_1_start": "09:00", "0_1_end": "12:00"},
        web=True,
    ),
    Row(
        "provider calendars page",
        "read",
        "GET",
        "/schedule/calendars",
        {ANON: 302, A: 403, B: 403, P1: 200, P2: 200, ADMIN: 403},
        web=True,
    ),
    Row("notifications page", "read", "GET", "/notifications", page(200), web=True),
    Row("profile page", "read", "GET", "/profile", page(200), web=True),
    Row(
        "staff admin site",
        "read",
        "GET",
        "/admin/",
        {ANON: 302, A: 302, B: 302, P1: 302, P2: 302, ADMIN: 200},
        web=True,
    ),
]


def _fill(value, ids: dict):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


def _coerce_ids(body):
    """'{p1}' placeholders are ints in JSON bodies."""
    if isinstance(body, dict):
        return {k: _coerce_ids(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_coerce_ids(v) for v in body]
    if isinstance(body, str) and body.isdigit():
        return int(body)
    return body


def _refresh_token(world, role: str) -> str:
    from rest_framework_simplejwt.tokens import RefreshToken

    return "not-a-token" if role == ANON else str(RefreshToken.for_user(world.users[role]))


def _request(world, row: Row, role: str):
    ids = {**_paths(world), "free_slot": _free_slot(world)}
    if row.body and "{refresh}" in row.body.values():
        ids["refresh"] = _refresh_token(world, role)
    path = _fill(row.path, ids)
    body = _coerce_ids(_fill(row.body, ids)) if row.body is not None else None
    if row.web:
        client = world.web(role)
        if body is not None and row.method == "POST":
            return client.post(path, body)  # a form, as the page sends it
        return client.generic(row.method, path)
    client = world.api(role)
    call = getattr(client, row.method.lower())
    return call(path, body, format="json") if body is not None else call(path)


def _body_text(response) -> str:
    if getattr(response, "streaming", False):
        return ""
    return response.content.decode("utf-8", "replace")


@pytest.mark.parametrize("row", ROWS, ids=[f"{row.action}: {row.name}" for row in ROWS])
def test_each_role_gets_exactly_its_status(row: Row, world):
    assert set(row.expected) == set(ROLES), "every row names every role"
    results = {}
    for role in ROLES:
        with rolled_back():
            response = _request(world, row, role)
        results[role] = response.status_code
        if response.status_code in (401, 403, 404):
            assert SECRET_NOTE not in _body_text(response), f"{role} saw A's note: {row.name}"
        if response.status_code == 302:
            assert "login" in response["Location"], f"{role} redirected elsewhere: {row.name}"
    mismatches = {
        role: f"expected {row.expected[role]}, got {results[role]}"
        for role in ROLES
        if results[role] != row.expected[role]
    }
    assert not mismatches, f"{row.method} {row.path}: {mismatches}"


def _ids(response) -> set[int]:
    data = response.json()
    items = data["results"] if isinstance(data, dict) and "results" in data else data
    return {item["id"] for item in items}


def test_group_session_attendees_are_shown_to_its_provider_and_staff_only(world):
    path = f"/api/sessions/{world.session_a.pk}"
    seen = {role: world.api(role).get(path).json() for role in (A, P1, ADMIN)}
    assert seen[A]["attendees"] is None and seen[A]["seats_left"] == 3
    for role in (P1, ADMIN):
        assert [row["client"] for row in seen[role]["attendees"]] == [world.users[A].pk]
    for role in (A, B, P1, P2):
        listed = _ids(world.api(role).get("/api/sessions"))
        assert listed == ({world.session_a.pk} if role in (A, P1) else set()), role


def test_appointment_lists_show_each_role_exactly_its_own(world):
    series = {
        *world.series_a.occurrences.values_list("pk", flat=True),
        *world.session_a.seats.values_list("pk", flat=True),  # A's seat in P1's class
    }
    expected = {
        A: {world.appt_a.pk, world.past_a.pk, *series},
        B: {world.appt_b.pk},
        P1: {world.appt_a.pk, world.past_a.pk, *series},
        P2: {world.appt_b.pk},
        ADMIN: {world.appt_a.pk, world.appt_b.pk, world.past_a.pk, *series},
    }
    for role, ids in expected.items():
        response = world.api(role).get("/api/appointments", {"page_size": 100})
        assert response.status_code == 200
        assert _ids(response) == ids, role


def test_filters_cannot_widen_a_clients_view(world):
    """Filtering by another provider, client or status never reveals someone else's rows."""
    api = world.api(B)
    for query in (
        {"provider": world.p1.pk},
        {"client": world.users[A].pk},
        {"status": "booked"},
        {"service": world.service.pk},
    ):
        response = api.get("/api/appointments", query)
        assert response.status_code in (200, 400), query
        if response.status_code == 200:
            assert _ids(response) <= {world.appt_b.pk}, query


def test_notification_lists_show_only_ones_own(world):
    from notifications.models import Notification

    for role in (A, B, P1, P2, ADMIN):
        response = world.api(role).get("/api/notifications", {"page_size": 100})
        assert response.status_code == 200
        own = set(Notification.objects.filter(user=world.users[role]).values_list("pk", flat=True))
        assert _ids(response) == own, role


def test_my_appointments_page_lists_only_own(world):
    response = world.web(B).get("/appointments")
    assert response.status_code == 200
    assert SECRET_NOTE not in response.content.decode()
    assert f"/appointments/{world.appt_a.pk}" not in response.content.decode()


def test_personal_calendar_feed_carries_only_its_owners_appointments(world):
    response = world.web("anonymous").get(f"/calendar/{world.feed_token_a}.ics")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode()
    assert str(world.appt_a.uid) in text
    assert str(world.appt_b.uid) not in text


def test_waitlist_lists_show_each_role_exactly_its_own(world):
    for role in (A, B, P1, P2, ADMIN):
        entries = world.api(role).get("/api/waitlist/entries", {"page_size": 100})
        offers = world.api(role).get("/api/waitlist/offers", {"page_size": 100})
        assert (entries.status_code, offers.status_code) == (200, 200)
        own = role == A
        assert _ids(entries) == ({world.entry_a.pk} if own else set()), role
        assert _ids(offers) == ({world.offer_a.pk} if own else set()), role


# --- API keys ---------------------------------------------------------------------------
# Key holders are roles too: one key per scope, a revoked and an expired one. A key reaches
# only the views that declare its scope for the method; everything else answers 403 (or 401
# for a key that is no longer usable). Pages ignore keys (they are for the API only): the
# key holder meets them as anonymous does.

K_SERVICES, K_READ, K_WRITE, K_ANALYTICS, K_REVOKED, K_EXPIRED = KEY_ROLES = (
    "key services:read",
    "key appointments:read",
    "key appointments:write",
    "key analytics:read",
    "key revoked",
    "key expired",
)
# Views that authenticate nobody (the auth endpoints and the offer links' tokens) refuse any
# key, usable or not, before they run.
NO_AUTH_VIEWS = {
    "register",
    "log in with a wrong password",
    "password reset request",
    "refresh own token",
    "accept an offer with its link's token",
    "decline an offer with its link's token",
    "accept with a tampered token",
}
SERVICES_READ_ROWS = {
    "services",
    "service detail",
    "providers",
    "provider detail",
    "provider availability",
    "available slots",
}
KEY_GRANTS = {
    # row name: {key role: status}, where the key's scope is declared.
    **{name: {K_SERVICES: 200} for name in SERVICES_READ_ROWS},
    "list own appointments": {K_READ: 200},
    "appointment detail": {K_READ: 200},
    "edit appointment notes (PATCH)": {K_WRITE: 200},
    "edit appointment notes (PUT)": {K_WRITE: 200},
    "reschedule appointment": {K_WRITE: 200},
    "cancel appointment": {K_WRITE: 200},
    # With a key the client booked for must be named: this body names none.
    "book": {K_WRITE: 400},
    "list own series": {K_READ: 200},
    "series detail": {K_READ: 200},
    # With a key the client must be named: these bodies name none.
    "check a series": {K_READ: 400},
    "book a series": {K_WRITE: 400},
    "move a series occurrence": {K_WRITE: 200},
    "cancel a series": {K_WRITE: 200},
    "list group sessions": {K_READ: 200},
    "group session detail": {K_READ: 200},
    "bookings analytics": {K_ANALYTICS: 200},
    "users analytics": {K_ANALYTICS: 200},
}


def key_expected(row: Row) -> dict[str, int]:
    if not row.path.startswith("/api/"):
        return dict.fromkeys(KEY_ROLES, row.expected[ANON])
    unusable = 403 if row.name in NO_AUTH_VIEWS else 401
    return {
        **dict.fromkeys(KEY_ROLES, 403),
        K_REVOKED: unusable,
        K_EXPIRED: unusable,
        **KEY_GRANTS.get(row.name, {}),
    }


@pytest.fixture
def api_keys(world) -> dict[str, str]:
    from django.utils import timezone

    from accounts.models import APIKey
    from accounts.services import api_key_create, api_key_revoke

    def make(name: str, scopes: list[str]):
        return api_key_create(name=name, scopes=scopes, created_by=world.users[ADMIN])

    keys = {
        K_SERVICES: make("catalogue", ["services:read"]).key,
        K_READ: make("reader", ["appointments:read"]).key,
        K_WRITE: make("writer", ["appointments:write"]).key,
        K_ANALYTICS: make("figures", ["analytics:read"]).key,
    }
    revoked = make("revoked", ["services:read", "appointments:read", "appointments:write"])
    api_key_revoke(api_key=revoked.api_key)
    keys[K_REVOKED] = revoked.key
    expired = make("expired", ["services:read", "appointments:read", "appointments:write"])
    APIKey.objects.filter(pk=expired.api_key.pk).update(
        expiry_date=timezone.now() - timedelta(minutes=1)
    )
    keys[K_EXPIRED] = expired.key
    return keys


def _key_request(world, row: Row, key: str, *, body=None):
    from rest_framework.test import APIClient

    ids = {**_paths(world), "free_slot": _free_slot(world)}
    if row.body and "{refresh}" in row.body.values():
        ids["refresh"] = "not-a-token"
    path = _fill(row.path, ids)
    body = body if body is not None else row.body
    body = _coerce_ids(_fill(body, ids)) if body is not None else None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    call = getattr(client, row.method.lower())
    return call(path, body, format="json") if body is not None else call(path)


@pytest.mark.parametrize("row", ROWS, ids=[f"{row.action}: {row.name}" for row in ROWS])
def test_each_api_key_gets_exactly_its_status(row: Row, world, api_keys):
    expected = key_expected(row)
    results = {}
    for role, key in api_keys.items():
        with rolled_back():
            response = _key_request(world, row, key)
        results[role] = response.status_code
        if response.status_code in (401, 403, 404):
            assert SECRET_NOTE not in _body_text(response), f"{role} saw A's note: {row.name}"
    mismatches = {
        role: f"expected {expected[role]}, got {results[role]}"
        for role in KEY_ROLES
        if results[role] != expected[role]
    }
    assert not mismatches, f"{row.method} {row.path}: {mismatches}"


def test_a_key_books_on_behalf_of_a_named_client_only_with_appointments_write(world, api_keys):
    book = next(row for row in ROWS if row.name == "book")
    body = {**book.body, "client": "{client_a}"}
    expected = {
        **dict.fromkeys(KEY_ROLES, 403),
        K_WRITE: 201,
        K_REVOKED: 401,
        K_EXPIRED: 401,
    }
    results = {}
    for role, key in api_keys.items():
        with rolled_back():
            response = _key_request(world, book, key, body=body)
            if response.status_code == 201:
                assert response.json()["client"]["id"] == world.users[A].pk
        results[role] = response.status_code
    assert results == expected


def test_a_key_with_appointments_read_lists_every_clients_appointments(world, api_keys):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_keys[K_READ]}")
    response = client.get("/api/appointments", {"page_size": 100})
    assert response.status_code == 200
    series = set(world.series_a.occurrences.values_list("pk", flat=True))
    seats = set(world.session_a.seats.values_list("pk", flat=True))
    assert _ids(response) == {
        world.appt_a.pk,
        world.appt_b.pk,
        world.past_a.pk,
        *series,
        *seats,
    }
