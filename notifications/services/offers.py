"""Reactions to the waitlist's events: the client's inbox entry and email about an offer.

Each (offer, kind) is told once: the inbox entry and the outbox row carry the key
`offer:<offer id>:<kind>`, so the same event handled twice (a redelivered task, a receiver
run again) writes and sends nothing the second time. Accepting an offer sends nothing here:
the booking service's own `appointment_booked` / `appointment_rescheduled` confirmation goes
out for it.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from notifications.channels import InAppChannel
from notifications.models import Notification, NotificationKind
from notifications.offer_messages import offer_action_links, offer_in_app
from notifications.services.deliveries import email_deliveries_create, email_deliveries_enqueue
from notifications.services.preferences import wants_email
from waitlist.models import EntryStatus, Offer, OfferStatus

# Which kinds also go by email; an expired offer is told in the inbox only (the client let
# it pass).
EMAILED = (NotificationKind.WAITLIST, NotificationKind.OFFER_GONE)


def offer_load(*, offer_id: int) -> Offer | None:
    return (
        Offer.objects.select_related(
            "entry__client__profile", "entry__appointment", "provider", "service"
        )
        .filter(pk=offer_id)
        .first()
    )


def offer_dedupe_key(*, offer_id: int, kind: str) -> str:
    return f"offer:{offer_id}:{kind}"


def _worth_telling(kind: str, offer: Offer) -> bool:
    if kind == NotificationKind.WAITLIST:
        # Answered (or gone) before the fan-out ran: its links would not work any more.
        return offer.status == OfferStatus.PENDING
    if offer.entry.status == EntryStatus.LEFT:
        return False  # the client left the waitlist themselves, which withdrew the offer
    if kind == NotificationKind.OFFER_GONE:
        # The client took the time through another of their entries in the same batch.
        return not Offer.objects.filter(
            batch=offer.batch, status=OfferStatus.ACCEPTED, entry__client_id=offer.entry.client_id
        ).exists()
    return True


def offer_event_notify(*, kind: str, offer_id: int) -> list[int]:
    """Tell the offer's client about it (inbox, and email for a new or gone offer); returns
    the enqueued delivery ids. Called after the waitlist's transaction committed."""
    offer = offer_load(offer_id=offer_id)
    if offer is None or not _worth_telling(kind, offer):
        return []
    client = offer.entry.client
    key = offer_dedupe_key(offer_id=offer.pk, kind=kind)
    message = offer_in_app(kind=kind, offer=offer)
    message.dedupe_key = key
    if kind == NotificationKind.WAITLIST:
        message.links = offer_action_links(offer)
    emails = []
    if kind in EMAILED and wants_email(client):
        emails.append(
            {
                "recipient": client,
                "kind": kind,
                "subject": message.subject,
                "context": {"offer_id": offer.pk},
                "dedupe_key": key,
            }
        )
    try:
        with transaction.atomic():
            InAppChannel().send_many([message])
            delivery_ids = email_deliveries_create(emails=emails) if emails else []
    except IntegrityError:
        if Notification.objects.filter(dedupe_key=key).exists():
            return []  # this event was told already
        raise
    email_deliveries_enqueue(delivery_ids=delivery_ids)
    return delivery_ids
