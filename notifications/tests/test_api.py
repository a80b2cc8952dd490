import pytest

from accounts.tests.support import auth_client
from notifications.models import CalendarFeed, Notification, NotificationKind


def _notify(user, title: str, **fields) -> Notification:
    return Notification.objects.create(
        user=user, kind=NotificationKind.BOOKED, title=title, **fields
    )


@pytest.fixture
def inbox(client_user, other_client_user):
    first = _notify(client_user, "First")
    second = _notify(client_user, "Second")
    third = _notify(client_user, "Third")
    theirs = _notify(other_client_user, "Not yours")
    return {"first": first, "second": second, "third": third, "theirs": theirs}


def test_inbox_lists_own_notifications_newest_first_with_unread_count(client_api, inbox):
    response = client_api.get("/api/notifications")

    assert response.status_code == 200
    body = response.json()
    assert [n["title"] for n in body["results"]] == ["Third", "Second", "First"]
    assert body["count"] == 3
    assert body["unread_count"] == 3
    assert body["results"][0]["is_read"] is False


def test_inbox_is_paginated_and_unread_count_covers_all_pages(client_api, inbox):
    response = client_api.get("/api/notifications", {"page_size": 2, "page": 2})

    body = response.json()
    assert [n["title"] for n in body["results"]] == ["First"]
    assert body["unread_count"] == 3
    assert body["previous"] is not None


def test_mark_one_read(client_api, inbox):
    response = client_api.post(f"/api/notifications/{inbox['second'].pk}/read")

    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert client_api.get("/api/notifications").json()["unread_count"] == 2
    # Marking again keeps the first read time.
    read_at = response.json()["read_at"]
    again = client_api.post(f"/api/notifications/{inbox['second'].pk}/read")
    assert again.json()["read_at"] == read_at


def test_mark_all_read_touches_only_own_notifications(client_api, inbox):
    response = client_api.post("/api/notifications/read-all")

    assert response.json() == {"updated": 3, "unread_count": 0}
    inbox["theirs"].refresh_from_db()
    assert inbox["theirs"].read_at is None


def test_another_users_notification_answers_404(client_api, inbox):
    theirs = inbox["theirs"].pk

    assert client_api.get(f"/api/notifications/{theirs}").status_code == 404
    response = client_api.post(f"/api/notifications/{theirs}/read")
    assert response.status_code == 404
    assert response.json()["detail"]
    inbox["theirs"].refresh_from_db()
    assert inbox["theirs"].read_at is None


def test_own_notification_detail(client_api, inbox):
    response = client_api.get(f"/api/notifications/{inbox['first'].pk}")

    assert response.status_code == 200
    assert response.json()["title"] == "First"


def test_inbox_needs_authentication(api_client, inbox):
    assert api_client.get("/api/notifications").status_code == 401
    assert api_client.post("/api/notifications/read-all").status_code == 401


def test_calendar_feed_url_is_stable_until_regenerated(client_api, client_user):
    first = client_api.get("/api/calendar/feed").json()["url"]
    assert client_api.get("/api/calendar/feed").json()["url"] == first
    assert first.startswith("http://testserver/calendar/") and first.endswith(".ics")

    response = client_api.post("/api/calendar/feed/regenerate")

    assert response.status_code == 201
    second = response.json()["url"]
    assert second != first
    assert client_api.get("/api/calendar/feed").json()["url"] == second
    assert CalendarFeed.objects.filter(user=client_user, revoked_at=None).count() == 1


def test_each_user_has_their_own_feed(client_user, other_client_user):
    mine = auth_client(client_user).get("/api/calendar/feed").json()["url"]
    theirs = auth_client(other_client_user).get("/api/calendar/feed").json()["url"]

    assert mine != theirs


def test_schema_documents_the_inbox_and_feed(admin_api):
    response = admin_api.get("/api/schema/", HTTP_ACCEPT="application/json")

    schema = response.json()
    assert "/api/notifications/{id}/read" in schema["paths"]
    assert "/api/calendar/feed/regenerate" in schema["paths"]
    list_schema = schema["paths"]["/api/notifications"]["get"]["responses"]["200"]["content"]
    ref = list_schema["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "unread_count" in schema["components"]["schemas"][ref]["properties"]


def test_inbox_query_count_does_not_grow_with_the_inbox(
    client_api, client_user, django_assert_max_num_queries
):
    for index in range(30):
        _notify(client_user, f"Note {index}")

    # authentication, unread count, page count, page rows
    with django_assert_max_num_queries(5):
        response = client_api.get("/api/notifications", {"page_size": 25})

    assert len(response.json()["results"]) == 25
