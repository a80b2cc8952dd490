"""Answers to offers: accept (book, or move the appointment, into the held time), decline,
and expiry (the beat sweep, or a link opened late). Declined and expired time goes to the
next candidate."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import User
from scheduling.errors import HoldGone
from scheduling.models import Appointment, AppointmentSource
from scheduling.services import (
    appointment_book_in_transaction,
    appointment_reschedule_in_transaction,
)
from waitlist import events
from waitlist.models import EntryStatus, Offer, OfferStatus, WaitlistEntry
from waitlist.services.holds import offers_close

EXPIRED_MESSAGE = "This time has gone: the offer expired and was passed on."
ANSWERED_MESSAGE = "This time has gone: the offer was already answered."
MOVE_REASON = "An earlier time from the waitlist."


def _lock_batch(offer: Offer) -> tuple[Offer, list[Offer]]:
    """Lock every offer of the batch (id order): two accepts of one batch queue here, so
    the second sees the first's answer, and neither waits for the other crosswise."""
    batch = list(
        Offer.objects.select_for_update(of=("self",))
        .filter(batch=offer.batch)
        .select_related("entry__client", "entry__appointment", "provider", "service", "hold")
        .order_by("pk")
    )
    mine = next((o for o in batch if o.pk == offer.pk), None)
    if mine is None:  # pragma: no cover - the batch of an offer contains it
        raise Offer.DoesNotExist
    return mine, batch


def _ensure_answerable(offer: Offer, client: User) -> None:
    # Who may use the held time is the waitlist's rule: the clients it was offered to.
    if offer.entry.client_id != client.pk:
        raise PermissionDenied("This offer is not yours.")
    if offer.status != OfferStatus.PENDING:
        raise HoldGone(ANSWERED_MESSAGE)


def _take(offer: Offer, client: User) -> Appointment:
    entry = offer.entry
    if entry.appointment is not None:
        return appointment_reschedule_in_transaction(
            appointment=entry.appointment,
            new_start=offer.start,
            actor=client,
            reason=MOVE_REASON,
            hold=offer.hold,
        )
    return appointment_book_in_transaction(
        client=client,
        provider=offer.provider,
        service=offer.service,
        start=offer.start,
        urgency=entry.urgency,
        source=AppointmentSource.WAITLIST,
        actor=client,
        hold=offer.hold,
    )


def offer_accept(*, offer: Offer, client: User, now: datetime) -> Appointment:
    """Take the offered time: book it for `client` through the booking service (or move
    the entry's appointment there), fulfil the entry and tell the rest of the batch it has
    gone, all in one transaction. An offer past its expiry is expired now (its time goes to
    the next candidate) and answers HoldGone, as does one already answered or taken."""
    with transaction.atomic(durable=True):
        offer, batch = _lock_batch(offer)
        _ensure_answerable(offer, client)
        expired = offer.expires_at <= now
        if expired:
            late = [o for o in batch if o.status == OfferStatus.PENDING and o.expires_at <= now]
            offers_close(offers=late, status=OfferStatus.EXPIRED, now=now)
        else:
            WaitlistEntry.objects.select_for_update().filter(pk=offer.entry_id).first()
            appointment = _take(offer, client)
            offer.status = OfferStatus.ACCEPTED
            offer.responded_at = now
            offer.appointment = appointment
            offer.nonce = ""
            offer.save(update_fields=["status", "responded_at", "appointment", "nonce"])
            WaitlistEntry.objects.filter(pk=offer.entry_id).update(status=EntryStatus.FULFILLED)
            others = [o for o in batch if o.pk != offer.pk]
            # The booking took the hold: nothing to release.
            offers_close(offers=others, status=OfferStatus.GONE, now=now, release=False)
            events.send_on_commit(events.offer_accepted, offer=offer, appointment=appointment)
    if expired:
        raise HoldGone(EXPIRED_MESSAGE)
    return appointment


def offer_decline(*, offer: Offer, client: User, now: datetime) -> Offer:
    """Say no to the offered time (idempotent): it goes to the next candidate once no other
    client of the batch still considers it. A late decline expires the offer instead."""
    with transaction.atomic(durable=True):
        offer, _ = _lock_batch(offer)
        if offer.entry.client_id == client.pk and offer.status == OfferStatus.DECLINED:
            return offer
        _ensure_answerable(offer, client)
        status = OfferStatus.EXPIRED if offer.expires_at <= now else OfferStatus.DECLINED
        offers_close(offers=[offer], status=status, now=now)
    return offer


def offers_expire(*, now: datetime) -> int:
    """Expire the pending offers past their time (the beat sweep): holds released, the time
    offered to the next candidate after commit. How many."""
    due = list(
        Offer.objects.filter(status=OfferStatus.PENDING, expires_at__lte=now)
        .values_list("batch", flat=True)
        .distinct()
    )
    expired = 0
    for batch in due:
        with transaction.atomic(durable=True):
            offers = list(
                Offer.objects.select_for_update(of=("self",))
                .filter(batch=batch, status=OfferStatus.PENDING, expires_at__lte=now)
                .select_related("hold")
                .order_by("pk")
            )
            offers_close(offers=offers, status=OfferStatus.EXPIRED, now=now)
            expired += len(offers)
    return expired
