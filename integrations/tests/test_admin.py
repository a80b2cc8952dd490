"""Staff's webhook admin: the secret shown once, rotation, a test event, enable again, the
delivery log's "send again", and a bad URL refused on its field."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from integrations import services
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from scheduling.tests.support import at

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_adding_an_endpoint_shows_its_secret_once(staff, receiver):
    response = staff.post(
        reverse("admin:integrations_webhookendpoint_add"),
        {
            "url": receiver.url("/hook"),
            "description": "CRM",
            "events": ["appointment.booked"],
            "is_active": "on",
        },
        follow=True,
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_")
    assert any(endpoint.secret in message for message in _messages(response))

    page = staff.get(reverse("admin:integrations_webhookendpoint_change", args=[endpoint.pk]))
    assert page.status_code == 200
    assert endpoint.secret not in page.content.decode()
    assert endpoint.events == ["appointment.booked"]


@pytest.mark.parametrize(
    ("url", "text"),
    [("ftp://example.com/x", "Only http:// and https://"), ("https://", "no host name")],
)
def test_a_bad_url_is_refused_on_its_field(staff, url, text):
    response = staff.post(
        reverse("admin:integrations_webhookendpoint_add"),
        {"url": url, "events": ["appointment.booked"], "is_active": "on"},
    )
    assert response.status_code == 200
    assert text in " ".join(response.context["adminform"].form.errors["url"])
    assert not WebhookEndpoint.objects.exists()


def test_rotating_shows_the_new_secret_once_and_keeps_the_old_for_the_overlap(staff, receiver):
    endpoint = services.endpoint_create(url=receiver.url("/hook"), events=["appointment.booked"])
    old = endpoint.secret
    response = staff.post(
        reverse("admin:integrations_webhookendpoint_changelist"),
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
        follow=True,
    )
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert any(endpoint.secret in message for message in _messages(response))
    assert endpoint.signing_secrets() == [endpoint.secret, old]


def test_a_test_event_reaches_the_receiver_signed(staff, receiver):
    endpoint = services.endpoint_create(url=receiver.url("/hook"), events=["appointment.booked"])
    receiver.expect("/hook", endpoint.secret)
    staff.post(
        reverse("admin:integrations_webhookendpoint_changelist"),
        {"action": "send_test_event", "_selected_action": [endpoint.pk]},
    )
    (arrival,) = receiver.at("/hook")
    assert arrival.json["type"] == "webhook.test"
    assert arrival.verified_with(endpoint.secret)


def test_enable_again_clears_the_failure_state(staff, receiver, frozen_now):
    endpoint = services.endpoint_create(url=receiver.url("/hook"), events=["appointment.booked"])
    WebhookEndpoint.objects.update(
        is_active=False, disabled_at=frozen_now, disabled_reason="down", failing_since=frozen_now
    )
    staff.post(
        reverse("admin:integrations_webhookendpoint_changelist"),
        {"action": "enable_again", "_selected_action": [endpoint.pk]},
    )
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert (endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since) == (
        None,
        "",
        None,
    )


def test_the_delivery_log_shows_the_payload_and_sends_again(staff, receiver, book):
    endpoint = services.endpoint_create(url=receiver.url("/hook"), events=[WebhookEvent.BOOKED])
    receiver.expect("/hook", endpoint.secret)
    book(at(13, 10))
    delivery = WebhookDelivery.objects.get()
    page = staff.get(reverse("admin:integrations_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200
    assert delivery.event_id in page.content.decode()
    assert "appointment.booked" in page.content.decode()

    staff.post(
        reverse("admin:integrations_webhookdelivery_changelist"),
        {"action": "send_again", "_selected_action": [delivery.pk]},
    )
    assert [a.headers["webhook-id"] for a in receiver.at("/hook")] == [delivery.event_id] * 2
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
