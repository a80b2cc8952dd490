"""Idempotent writes: `Idempotency-Key` on booking, reschedule and cancel
(smartbook/api/idempotency.py)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection, connections

from accounts.tests.support import auth_client
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling import services
from scheduling.models import Appointment, AppointmentChange, AppointmentStatus
from smartbook.models import IdempotencyRecord

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def service(db):
    return ServiceFactory(duration_minutes=30)


@pytest.fixture
def clinic_provider(db, service):
    return ProviderFactory(services=[service])


@pytest.fixture
def body(clinic_provider, service):
    def _body(start="2026-01-13T10:00:00Z", **extra):
        return {"provider": clinic_provider.pk, "service": service.pk, "start": start, **extra}

    return _body


def post(api, data, key):
    return api.post("/api/appointments", data, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retried_booking_returns_the_first_result_and_books_once(client_api, body):
    first = post(client_api, body(), "retry-1")
    emails = len(mail.outbox)
    second = post(client_api, body(), "retry-1")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Appointment.objects.count() == 1
    assert len(mail.outbox) == emails  # no second confirmation either


def test_without_a_key_a_repeat_is_a_new_request(client_api, body):
    assert client_api.post("/api/appointments", body(), format="json").status_code == 201
    again = client_api.post("/api/appointments", body(), format="json")
    assert again.status_code == 409  # the time is now the client's own booking
    assert IdempotencyRecord.objects.count() == 0


def test_the_same_key_with_another_body_is_422_and_writes_nothing(client_api, body):
    assert post(client_api, body(), "k").status_code == 201
    other = post(client_api, body("2026-01-13T11:00:00Z"), "k")

    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert "another request" in other.json()["detail"]
    assert list(Appointment.objects.values_list("start__hour", flat=True)) == [10]


def test_the_same_key_on_another_endpoint_is_422(client_api, body):
    booked = post(client_api, body(), "k").json()
    cancel = client_api.delete(
        f"/api/appointments/{booked['id']}", {"reason": "x"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert cancel.status_code == 422
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED


def test_keys_belong_to_their_sender(client_api, other_client_user, body):
    mine = post(client_api, body(), "shared-key")
    theirs = post(auth_client(other_client_user), body("2026-01-13T11:00:00Z"), "shared-key")

    assert mine.status_code == theirs.status_code == 201
    assert theirs.json()["id"] != mine.json()["id"]
    assert "Idempotent-Replayed" not in theirs
    assert Appointment.objects.count() == 2


def test_a_refusal_is_replayed_too(
    client_api, client_user, body, service, clinic_provider, other_client_user
):
    services.appointment_book(
        client=other_client_user,
        provider=clinic_provider,
        service=service,
        start=datetime(2026, 1, 13, 10, tzinfo=UTC),
    )
    first = post(client_api, body(), "k")
    Appointment.objects.update(status=AppointmentStatus.CANCELLED)  # the time frees up
    second = post(client_api, body(), "k")

    assert first.status_code == second.status_code == 409
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert not Appointment.objects.filter(client=client_user).exists()


def test_a_request_still_running_answers_409_with_retry_after(client_api, body):
    first = post(client_api, body(), "k")
    # The state of the key while its first request runs: claimed, no answer yet.
    IdempotencyRecord.objects.update(status_code=None, response_body=None)
    Appointment.objects.update(status=AppointmentStatus.CANCELLED)
    response = post(client_api, body(), "k")

    assert first.status_code == 201
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_use"
    assert response["Retry-After"] == "1"
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 0


def test_a_key_expires_after_a_day(client_api, client_user, body, time_machine, frozen_now):
    first = post(client_api, body(), "k").json()
    client_api.delete(f"/api/appointments/{first['id']}", {"reason": "plans changed"})

    time_machine.move_to(frozen_now + timedelta(days=1, seconds=1), tick=False)
    again = post(auth_client(client_user), body("2026-01-14T10:00:00Z"), "k")

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert IdempotencyRecord.objects.count() == 1


def test_a_server_error_frees_the_key(client_api, body, monkeypatch):
    real_book = services.appointment_book

    def broken(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "appointment_book", broken)
    client_api.raise_request_exception = False
    assert post(client_api, body(), "k").status_code == 500
    assert IdempotencyRecord.objects.count() == 0

    monkeypatch.setattr(services, "appointment_book", real_book)
    retried = post(client_api, body(), "k")
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried


def test_a_retried_reschedule_moves_once(client_api, body):
    booked = post(client_api, body(), "b").json()
    move = {"start": "2026-01-13T14:00:00Z", "reason": "later"}
    first = client_api.put(f"/api/appointments/{booked['id']}", move, HTTP_IDEMPOTENCY_KEY="m")
    second = client_api.patch(f"/api/appointments/{booked['id']}", move, HTTP_IDEMPOTENCY_KEY="m")
    again = client_api.put(f"/api/appointments/{booked['id']}", move, HTTP_IDEMPOTENCY_KEY="m")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert second.status_code == 422  # PATCH is another request than PUT
    assert AppointmentChange.objects.count() == 1


def test_a_retried_cancel_answers_like_the_first(client_api, body):
    booked = post(client_api, body(), "b").json()
    url = f"/api/appointments/{booked['id']}"
    first = client_api.delete(url, {"reason": "ill"}, HTTP_IDEMPOTENCY_KEY="c")
    second = client_api.delete(url, {"reason": "ill"}, HTTP_IDEMPOTENCY_KEY="c")
    unkeyed = client_api.delete(url, {"reason": "ill"})

    assert first.status_code == second.status_code == 200
    assert second.json()["status"] == "cancelled"
    assert unkeyed.status_code == 409  # without the key the repeat is refused


@pytest.mark.parametrize(
    ("key", "text"),
    [("", "empty"), ("x" * 256, "longer than 255"), ("naïve", "printable ASCII")],
)
def test_a_bad_key_is_400_naming_the_header(client_api, body, key, text):
    response = post(client_api, body(), key)
    assert response.status_code == 400
    assert text in " ".join(response.json()["errors"]["Idempotency-Key"])
    assert Appointment.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_give_one_booking(client_user, body):
    """Ten copies of one request, released at once on their own connections."""
    data = body()
    barrier = threading.Barrier(10)
    answers: list[tuple[int, object]] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            api = auth_client(client_user)
            barrier.wait(timeout=30)
            response = post(api, data, "one-key")
            answer = response.json()
            with lock:
                answers.append((response.status_code, answer.get("id") or answer.get("code")))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert len(answers) == 10
    booking = Appointment.objects.get()
    # Every copy got that booking (first or replayed) or was told the key was busy; none was
    # run again (it would have been refused as the client's own time, `slot_unavailable`).
    assert set(answers) <= {(201, booking.pk), (409, "idempotency_key_in_use")}
    assert (201, booking.pk) in answers


def test_the_schema_documents_the_header_on_each_write(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    operations = [
        schema["paths"]["/api/appointments"]["post"],
        schema["paths"]["/api/appointments/{id}"]["put"],
        schema["paths"]["/api/appointments/{id}"]["patch"],
        schema["paths"]["/api/appointments/{id}"]["delete"],
    ]
    for operation in operations:
        headers = [p for p in operation["parameters"] if p["in"] == "header"]
        assert [p["name"] for p in headers] == ["Idempotency-Key"]
        assert "422" in operation["responses"]
    assert not any(
        p["in"] == "header"
        for p in schema["paths"]["/api/appointments"]["get"].get("parameters", [])
    )


def test_an_api_keys_retries_are_its_own(admin_user, client_user, other_client_user, body):
    """Two integrations picking the same key string never see each other's answers; one
    key's retry is replayed."""
    from rest_framework.test import APIClient

    from accounts.services import api_key_create

    def key_client() -> APIClient:
        made = api_key_create(name="CRM", scopes=["appointments:write"], created_by=admin_user)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Api-Key {made.key}")
        return api

    crm, billing = key_client(), key_client()
    first = post(crm, body(client=client_user.pk), "order-1")
    replay = post(crm, body(client=client_user.pk), "order-1")
    theirs = post(billing, body("2026-01-13T11:00:00Z", client=other_client_user.pk), "order-1")

    assert first.status_code == replay.status_code == theirs.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert theirs.json()["id"] != first.json()["id"]
    assert Appointment.objects.count() == 2
    owners = set(IdempotencyRecord.objects.values_list("owner", flat=True))
    assert len(owners) == 2
    assert all(owner.startswith("accounts.apikey:") for owner in owners)
