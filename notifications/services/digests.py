"""The providers' daily digest: tomorrow's schedule in the provider's own zone."""

from datetime import datetime, timedelta

from django.utils import timezone

from notifications.messages import zone_of
from notifications.models import NotificationKind
from notifications.selectors import provider_day_schedule
from notifications.services.deliveries import email_deliveries_enqueue, email_delivery_create
from notifications.services.preferences import wants_email
from providers.models import Provider


def provider_digests_send(*, now: datetime | None = None) -> int:
    """Queue one digest per provider with appointments tomorrow; a second run adds none."""
    now = now or timezone.now()
    delivery_ids = []
    for provider in Provider.objects.filter(is_active=True).select_related("user__profile"):
        if not wants_email(provider.user):
            continue
        day = now.astimezone(zone_of(provider.timezone)).date() + timedelta(days=1)
        count = len(provider_day_schedule(provider=provider, day=day))
        if not count:
            continue
        delivery = email_delivery_create(
            recipient=provider.user,
            kind=NotificationKind.DIGEST,
            subject=f"[SmartBook] Your schedule for {day:%A} {day.day} {day:%B %Y}",
            context={"day": day.isoformat(), "count": count},
            dedupe_key=f"digest:{provider.pk}:{day.isoformat()}",
        )
        if delivery is not None:
            delivery_ids.append(delivery.pk)
    email_deliveries_enqueue(delivery_ids=delivery_ids)
    return len(delivery_ids)
