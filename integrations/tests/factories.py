"""Webhook endpoints written straight with the ORM."""

import factory

from integrations.models import WebhookEndpoint, WebhookEvent


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    url = factory.Sequence(lambda n: f"https://hooks.example.com/{n}")
    description = factory.Sequence(lambda n: f"Endpoint {n}")
    events = factory.LazyFunction(lambda: list(WebhookEvent.values))
