"""The webhook payloads in the OpenAPI schema (`/api/schema/`, Swagger UI at `/api/docs/`).

The schema is OpenAPI 3.0, which has no `webhooks` section (3.1 added it); drf-spectacular
builds one from `SPECTACULAR_SETTINGS["WEBHOOKS"]` with the payloads as components, and
`as_x_webhooks` moves it to `x-webhooks`, the extension 3.0 tools read, so the document stays
valid 3.0 for the clients and the schema fuzzer.
"""

from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema
from rest_framework import serializers

from integrations.models import WebhookEvent
from scheduling.api.serializers import AppointmentSerializer

SIGNATURE_DESCRIPTION = (
    "Signed per the Standard Webhooks specification: headers `webhook-id` (the event id, "
    "the same on every retry), `webhook-timestamp` (Unix seconds) and `webhook-signature` "
    "(`v1,<base64 HMAC-SHA256>` of `<id>.<timestamp>.<body>` with the endpoint's secret; "
    "two signatures, space-separated, while a rotated secret's overlap lasts). Answer 2xx "
    "within 5 s; anything else is retried with growing delays. Deliveries for one appointment "
    "arrive in order."
)


class WebhookAppointmentData(serializers.Serializer):
    appointment = AppointmentSerializer()


class WebhookOfferData(WebhookAppointmentData):
    offer = serializers.IntegerField(help_text="The waitlist offer that was accepted.")


def _event(name: str, data: type[serializers.Serializer]) -> type[serializers.Serializer]:
    return type(
        name,
        (serializers.Serializer,),
        {
            "type": serializers.CharField(help_text="The event type."),
            "id": serializers.CharField(help_text="Stable event id, equal to `webhook-id`."),
            "timestamp": serializers.DateTimeField(help_text="When the event happened (UTC)."),
            "data": data(),
        },
    )


AppointmentWebhookEvent = _event("AppointmentWebhookEvent", WebhookAppointmentData)
OfferAcceptedWebhookEvent = _event("OfferAcceptedWebhookEvent", WebhookOfferData)


def _webhook(event_type: str, summary: str, payload) -> OpenApiWebhook:
    return OpenApiWebhook(
        name=event_type,
        decorator=extend_schema(
            summary=summary,
            description=SIGNATURE_DESCRIPTION,
            request=payload,
            responses={200: OpenApiResponse(description="Received.")},
        ),
    )


WEBHOOKS = [
    _webhook(
        event_type,
        str(label),
        OfferAcceptedWebhookEvent
        if event_type == WebhookEvent.OFFER_ACCEPTED
        else AppointmentWebhookEvent,
    )
    for event_type, label in WebhookEvent.choices
]


def as_x_webhooks(result, generator, request, public):
    """drf-spectacular postprocessing hook: `webhooks` becomes `x-webhooks` (OpenAPI 3.0)."""
    if "webhooks" in result:
        result["x-webhooks"] = result.pop("webhooks")
    return result
