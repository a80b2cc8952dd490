"""Delivery: retries with growing delays, disablement, secret rotation, order per appointment,
and requests that go only where they safely may."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from integrations import http, services
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from integrations.tests.support import Reply, closed_port
from scheduling.services import appointment_cancel
from scheduling.tests.support import at

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def endpoint(db, receiver):
    made = services.endpoint_create(url=receiver.url("/hook"), events=list(WebhookEvent.values))
    receiver.expect("/hook", made.secret)
    return made


def _delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.order_by("pk").first()


def test_a_failing_receiver_gets_retries_with_growing_delays_then_success(
    endpoint, receiver, book, time_machine, frozen_now
):
    receiver.answer("/hook", Reply(500), Reply(503))
    book(at(13, 10))  # the first attempt runs at once (on commit, through the task)
    first_gap = _delivery().next_attempt_at - frozen_now

    time_machine.move_to(frozen_now + first_gap, tick=False)
    assert services.deliveries_send_due() == 1
    second_gap = _delivery().next_attempt_at - timezone.now()

    time_machine.move_to(timezone.now() + second_gap, tick=False)
    assert services.deliveries_send_due() == 1

    delivery = _delivery()
    statuses = [arrival.json["type"] for arrival in receiver.at("/hook")]
    assert statuses == ["appointment.booked"] * 3
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 3
    assert timedelta(seconds=24) <= first_gap <= timedelta(seconds=36)
    assert timedelta(seconds=96) <= second_gap <= timedelta(seconds=144)
    # the same event id (and a fresh signature) on every attempt
    ids = {arrival.headers["webhook-id"] for arrival in receiver.at("/hook")}
    assert ids == {delivery.event_id}
    assert all(arrival.verified_with(endpoint.secret) for arrival in receiver.at("/hook"))


def test_not_due_yet_is_not_sent(endpoint, receiver, book, time_machine, frozen_now):
    receiver.answer("/hook", Reply(500))
    book(at(13, 10))
    time_machine.move_to(frozen_now + timedelta(seconds=20), tick=False)

    assert services.deliveries_send_due() == 0
    assert len(receiver.at("/hook")) == 1


def test_a_receiver_down_for_good_disables_the_endpoint_and_tells_staff(
    db, settings, receiver, book, admin_user, time_machine, frozen_now
):
    settings.WEBHOOK_DISABLE_AFTER_HOURS = 24
    down = services.endpoint_create(
        url=f"http://127.0.0.1:{closed_port()}/hook", events=[WebhookEvent.BOOKED]
    )
    book(at(13, 10))
    for hours in (1, 6, 23):
        time_machine.move_to(frozen_now + timedelta(hours=hours), tick=False)
        services.deliveries_send_due()
        down.refresh_from_db()
        assert down.is_active, hours
    time_machine.move_to(frozen_now + timedelta(hours=25), tick=False)
    services.deliveries_send_due()

    down.refresh_from_db()
    delivery = _delivery()
    assert not down.is_active
    assert "could not connect" in down.disabled_reason
    assert down.failing_since == frozen_now
    assert delivery.status == DeliveryStatus.PENDING  # kept for when it is enabled again
    assert "connection refused" in delivery.last_error
    staff_mail = [m for m in mail.outbox if m.subject.startswith("Webhook endpoint disabled")]
    assert len(staff_mail) == 1
    assert staff_mail[0].to == [admin_user.email]
    assert down.url in staff_mail[0].body

    time_machine.move_to(frozen_now + timedelta(hours=30), tick=False)
    assert services.deliveries_send_due() == 0  # a disabled endpoint is not called


def test_enabling_again_sends_what_waited(db, settings, receiver, book, time_machine, frozen_now):
    endpoint = services.endpoint_create(url=receiver.url("/hook"), events=[WebhookEvent.BOOKED])
    receiver.expect("/hook", endpoint.secret)
    receiver.answer("/hook", Reply(500))
    book(at(13, 10))
    endpoint.is_active = False
    endpoint.save()

    services.endpoint_enable(endpoint=endpoint)
    time_machine.move_to(frozen_now + timedelta(minutes=5), tick=False)
    assert services.deliveries_send_due() == 1
    assert _delivery().status == DeliveryStatus.DELIVERED


def test_a_rotated_secret_signs_alongside_the_new_one_until_the_overlap_ends(
    db, settings, receiver, book, time_machine, frozen_now
):
    settings.WEBHOOK_ROTATION_OVERLAP_HOURS = 24
    endpoint = services.endpoint_create(url=receiver.url("/hook"), events=[WebhookEvent.BOOKED])
    old = endpoint.secret
    new = services.endpoint_rotate_secret(endpoint=endpoint)
    receiver.expect("/hook", old, new)

    book(at(13, 10))
    time_machine.move_to(frozen_now + timedelta(hours=25), tick=False)
    book(at(14, 10))

    during, after = receiver.at("/hook")
    assert new != old
    assert during.verified_with(old) and during.verified_with(new)
    assert len(during.signatures) == 2
    assert after.verified_with(new)
    assert not after.verified_with(old)
    assert len(after.signatures) == 1


def test_a_redirect_is_not_followed(endpoint, receiver, book):
    receiver.answer("/hook", Reply(302, headers={"Location": receiver.url("/elsewhere")}))
    book(at(13, 10))

    delivery = _delivery()
    assert receiver.at("/elsewhere") == []
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code == 302
    assert "redirects are not followed" in delivery.last_error


@pytest.mark.parametrize(
    ("address", "kind"),
    [("10.0.0.1", "private"), ("169.254.169.254", "link-local"), ("127.0.0.1", "loopback")],
)
def test_a_private_address_is_refused_without_connecting(db, settings, receiver, address, kind):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(http.AddressRefused) as refused:
        http.post(f"http://{address}:{receiver.port}/hook", body=b"{}", headers={})
    assert f"the address {address} is {kind} and not allowed" == refused.value.message
    assert receiver.arrivals == []


def test_a_name_resolving_to_loopback_is_refused_unless_allowed(db, settings, receiver):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(http.AddressRefused):
        http.post(f"http://localhost:{receiver.port}/hook", body=b"{}", headers={})
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    assert http.post(f"http://localhost:{receiver.port}/hook", body=b"{}", headers={}).status == 200


def test_events_of_one_appointment_arrive_in_order(
    endpoint, receiver, book, committed, time_machine, frozen_now
):
    receiver.answer("/hook", Reply(500))
    appointment = book(at(13, 10))
    with committed():
        appointment_cancel(appointment=appointment, actor=None, reason="ill")

    # The cancellation waited behind the booking that failed.
    assert [a.json["type"] for a in receiver.at("/hook")] == ["appointment.booked"]
    time_machine.move_to(frozen_now + timedelta(minutes=1), tick=False)
    services.deliveries_send_due()

    assert [a.json["type"] for a in receiver.at("/hook")] == [
        "appointment.booked",
        "appointment.booked",
        "appointment.cancelled",
    ]


def test_another_appointment_does_not_wait(endpoint, receiver, book, other_client_user):
    receiver.answer("/hook", Reply(500))
    book(at(13, 10))
    book(at(13, 11), client=other_client_user)

    assert [a.json["type"] for a in receiver.at("/hook")] == ["appointment.booked"] * 2
    assert list(WebhookDelivery.objects.order_by("pk").values_list("status", flat=True)) == [
        DeliveryStatus.PENDING,
        DeliveryStatus.DELIVERED,
    ]


def test_an_answer_is_read_up_to_the_size_limit(db, receiver):
    receiver.answer("/big", Reply(200, body=b"x" * (http.MAX_RESPONSE_BYTES * 4)))
    response = http.post(receiver.url("/big"), body=b"{}", headers={})
    assert response.status == 200
    assert len(response.body) == http.MAX_RESPONSE_BYTES


def test_a_delivery_given_up_lets_the_next_one_go(
    settings, endpoint, receiver, book, committed, time_machine, frozen_now
):
    settings.WEBHOOK_DISABLE_AFTER_HOURS = 1000  # gives up before the endpoint is disabled
    receiver.answer("/hook", *[Reply(500)] * services.MAX_ATTEMPTS)
    appointment = book(at(13, 10))
    with committed():
        appointment_cancel(appointment=appointment, actor=None, reason="ill")
    when = frozen_now
    for _ in range(services.MAX_ATTEMPTS - 1):
        when += timedelta(hours=15)
        time_machine.move_to(when, tick=False)
        services.deliveries_send_due()

    booked, cancelled = WebhookDelivery.objects.order_by("pk")
    assert booked.status == DeliveryStatus.FAILED
    assert booked.attempts == services.MAX_ATTEMPTS
    assert cancelled.status == DeliveryStatus.DELIVERED
    assert receiver.at("/hook")[-1].json["type"] == "appointment.cancelled"


def test_send_again_resends_a_delivered_event(endpoint, receiver, book):
    book(at(13, 10))
    delivery = _delivery()

    services.delivery_resend(delivery=delivery)
    services.deliveries_send_due()

    assert [a.headers["webhook-id"] for a in receiver.at("/hook")] == [delivery.event_id] * 2
    assert _delivery().attempts == 1  # a fresh series
    assert _delivery().status == DeliveryStatus.DELIVERED


def test_send_again_gives_a_given_up_delivery_a_fresh_series_of_attempts(
    settings, endpoint, receiver, book, time_machine, frozen_now
):
    settings.WEBHOOK_DISABLE_AFTER_HOURS = 1000
    receiver.answer("/hook", *[Reply(500)] * (services.MAX_ATTEMPTS + 1))
    book(at(13, 10))
    when = frozen_now
    for _ in range(services.MAX_ATTEMPTS - 1):
        when += timedelta(hours=15)
        time_machine.move_to(when, tick=False)
        services.deliveries_send_due()
    assert _delivery().status == DeliveryStatus.FAILED

    services.delivery_resend(delivery=_delivery())
    services.deliveries_send_due()  # fails once more (the last 500 queued)

    delivery = _delivery()
    assert delivery.status == DeliveryStatus.PENDING  # retried later, not given up at once
    assert delivery.attempts == 1
    time_machine.move_to(when + timedelta(minutes=5), tick=False)
    services.deliveries_send_due()
    assert _delivery().status == DeliveryStatus.DELIVERED


def test_an_event_is_recorded_once_whatever_the_retries(endpoint, receiver, book):
    appointment = book(at(13, 10))
    first = services.webhook_event_record(
        event_type=WebhookEvent.CANCELLED, appointment_id=appointment.pk, event_id="msg_same"
    )
    again = services.webhook_event_record(
        event_type=WebhookEvent.CANCELLED, appointment_id=appointment.pk, event_id="msg_same"
    )
    assert first == again
    assert WebhookDelivery.objects.filter(event_id="msg_same").count() == 1


def test_with_the_broker_away_the_request_records_the_event_for_the_due_sender(
    endpoint, receiver, book, monkeypatch
):
    from kombu.exceptions import OperationalError

    from integrations import tasks

    def broker_down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.record_webhook_event, "delay", broker_down)
    book(at(13, 10))

    delivery = _delivery()
    assert delivery.status == DeliveryStatus.PENDING
    assert receiver.at("/hook") == []
    assert services.deliveries_send_due() == 1
    assert [a.json["type"] for a in receiver.at("/hook")] == ["appointment.booked"]
