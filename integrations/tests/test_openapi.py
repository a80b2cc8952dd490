"""The webhook payloads are documented in the OpenAPI schema, as `x-webhooks` (OpenAPI 3.0)."""

import pytest

pytestmark = pytest.mark.django_db

EVENT_TYPES = {
    "appointment.booked",
    "appointment.rescheduled",
    "appointment.cancelled",
    "appointment.confirmed",
    "appointment.completed",
    "appointment.no_show",
    "waitlist.offer_accepted",
}


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/schema/", {"format": "json"}).json()


def test_every_event_type_is_documented_with_its_payload(schema):
    webhooks = schema["x-webhooks"]
    assert set(webhooks) == EVENT_TYPES
    assert "webhooks" not in schema  # not an OpenAPI 3.0 key
    for event_type, item in webhooks.items():
        operation = item["post"]
        assert "webhook-signature" in operation["description"], event_type
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        payload = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert set(payload["required"]) == {"type", "id", "timestamp", "data"}


def test_the_payload_carries_the_appointment_as_the_api_shows_it(schema):
    components = schema["components"]["schemas"]
    data = components["WebhookAppointmentData"]["properties"]["appointment"]
    assert data["$ref"] == "#/components/schemas/Appointment"
    offer = components["WebhookOfferData"]
    assert offer["properties"]["offer"]["type"] == "integer"
    assert "appointment" in offer["properties"]
