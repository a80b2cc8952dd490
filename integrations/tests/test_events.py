"""Each domain event reaches every endpoint that wants it, once, signed; no other."""

from datetime import date

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from integrations import services
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_confirm,
    appointment_mark_no_show,
    appointment_reschedule,
)
from scheduling.tests.support import at
from waitlist import services as waitlist_services
from waitlist.models import Offer
from waitlist.tests.support import days

pytestmark = pytest.mark.usefixtures("frozen_now")

ALL = list(WebhookEvent.values)


@pytest.fixture
def endpoints(db, receiver):
    """Two endpoints wanting every event, and one wanting only accepted offers."""
    made = {}
    for path, events in (("/a", ALL), ("/b", ALL), ("/offers", [WebhookEvent.OFFER_ACCEPTED])):
        endpoint = services.endpoint_create(url=receiver.url(path), events=events)
        receiver.expect(path, endpoint.secret)
        made[path] = endpoint
    return made


def _types(receiver, path) -> list[str]:
    return [arrival.json["type"] for arrival in receiver.at(path)]


def test_every_appointment_event_arrives_once_per_endpoint_signed(
    endpoints, receiver, book, committed, admin_user, other_client_user, time_machine
):
    moved = book(at(13, 10))
    with committed():
        appointment_reschedule(appointment=moved, new_start=at(13, 11), actor=None)
    with committed():
        appointment_cancel(appointment=moved, actor=None, reason="ill")
    done = book(at(12, 10))
    with committed():
        appointment_confirm(appointment=done, actor=done.client)
    missed = book(at(12, 11), client=other_client_user)
    time_machine.move_to(at(12, 12), tick=False)
    with committed():
        appointment_complete(appointment=done, actor=admin_user)
    with committed():
        appointment_mark_no_show(appointment=missed, actor=admin_user)

    expected = [
        "appointment.booked",
        "appointment.rescheduled",
        "appointment.cancelled",
        "appointment.booked",
        "appointment.confirmed",
        "appointment.booked",
        "appointment.completed",
        "appointment.no_show",
    ]
    for path in ("/a", "/b"):
        assert _types(receiver, path) == expected
        arrivals = receiver.at(path)
        assert all(arrival.verified_with(endpoints[path].secret) for arrival in arrivals)
        assert len({arrival.headers["webhook-id"] for arrival in arrivals}) == len(expected)
    assert receiver.at("/offers") == []
    # one event, one id, the same for every endpoint it went to
    assert [a.headers["webhook-id"] for a in receiver.at("/a")] == [
        a.headers["webhook-id"] for a in receiver.at("/b")
    ]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {
        DeliveryStatus.DELIVERED
    }


def test_the_payload_is_the_appointment_as_the_api_shows_it(endpoints, receiver, book, client_api):
    appointment = book(at(13, 10))

    arrival = receiver.at("/a")[0]
    shown = client_api.get(f"/api/appointments/{appointment.pk}").json()

    assert arrival.json["type"] == "appointment.booked"
    assert arrival.json["id"] == arrival.headers["webhook-id"]
    assert arrival.json["id"].startswith("msg_")
    assert arrival.json["timestamp"] == "2026-01-12T08:00:00Z"
    assert arrival.headers["webhook-timestamp"] == str(int(timezone.now().timestamp()))
    assert arrival.headers["content-type"] == "application/json"
    assert arrival.headers["user-agent"] == "SmartBook-Webhooks/1"
    assert {key: shown[key] for key in arrival.json["data"]["appointment"]} == arrival.json["data"][
        "appointment"
    ]
    assert arrival.json["data"]["appointment"]["id"] == appointment.pk
    assert arrival.json["data"]["appointment"]["status"] == "booked"


def test_an_accepted_waitlist_offer_arrives_with_the_offer(
    endpoints, receiver, committed, policy, other_client_user, clinic_provider, service
):
    taken = appointment_book(
        client=other_client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )
    waiting = UserFactory()
    with committed():
        waitlist_services.entry_join(
            client=waiting,
            service=service,
            ranges=[days(date(2026, 1, 13), date(2026, 1, 13))],
            expires_on=date(2026, 1, 31),
            now=timezone.now(),
        )
    with committed():
        appointment_cancel(appointment=taken, actor=None)
    offer = Offer.objects.get()

    with committed():
        appointment = waitlist_services.offer_accept(
            offer=offer, client=waiting, now=timezone.now()
        )

    arrivals = receiver.at("/offers")
    assert [a.json["type"] for a in arrivals] == ["waitlist.offer_accepted"]
    assert arrivals[0].verified_with(endpoints["/offers"].secret)
    assert arrivals[0].json["data"]["offer"] == offer.pk
    assert arrivals[0].json["data"]["appointment"]["id"] == appointment.pk
    assert _types(receiver, "/a").count("waitlist.offer_accepted") == 1
    assert _types(receiver, "/b").count("waitlist.offer_accepted") == 1


def test_no_endpoint_wanting_the_event_costs_one_query(
    db, django_assert_num_queries, receiver, book
):
    services.endpoint_create(url=receiver.url("/x"), events=[WebhookEvent.NO_SHOW])
    appointment = book(at(13, 10))
    assert WebhookDelivery.objects.count() == 0

    with django_assert_num_queries(1):
        ids = services.webhook_event_record(
            event_type=WebhookEvent.BOOKED, appointment_id=appointment.pk
        )

    assert ids == []


def test_a_disabled_endpoint_gets_no_deliveries(db, receiver, book):
    endpoint = services.endpoint_create(url=receiver.url("/x"), events=ALL)
    endpoint.is_active = False
    endpoint.save()

    book(at(13, 10))

    assert WebhookDelivery.objects.count() == 0
    assert receiver.arrivals == []
