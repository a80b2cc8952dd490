"""Answers to offers: accept (book, or move the appointment, into the held time), decline,
and expiry (the beat sweep, or a link opened late). Declined and expired time goes to the
next candidate."""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import User
from scheduling.errors import HoldGone, InvalidTransition
from scheduling.models import Appointment, AppointmentSource
from scheduling.services import (
    appointment_book_in_transaction,
    appointment_cancel_in_transaction,
    appointment_reschedule_in_transaction,
)
from waitlist import events
from waitlist.models import EntryKind, EntryStatus, Offer, OfferStatus, WaitlistEntry
from waitlist.services.holds import offers_close
from waitlist.services.matching import moving_for

logger = logging.getLogger(__name__)

EXPIRED_MESSAGE = "This time has gone: the offer expired and was passed on."
ANSWERED_MESSAGE = "This time has gone: the offer was already answered."
MOVE_REASON = "An earlier time from the waitlist."
DISPLACED_MOVE_REASON = "Moved from the waitlist, taken by the client, after the provider's change."


def lock_batch(offer: Offer) -> tuple[Offer, list[Offer]]:
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
    displaced = entry.kind == EntryKind.DISPLACED
    # The client's cut-off protects the provider from the client's own late changes; a
    # displaced client answers the provider's change, so their move is the system's (actor
    # None) on their word, recorded with the reason.
    actor = None if displaced else client
    moving = moving_for(entry, offer.provider_id)
    if moving is not None:
        return appointment_reschedule_in_transaction(
            appointment=moving,
            new_start=offer.start,
            actor=actor,
            reason=DISPLACED_MOVE_REASON if displaced else MOVE_REASON,
            hold=offer.hold,
        )
    if entry.appointment is not None:
        # Another provider's time: the old appointment is cancelled and the new time booked in
        # this one transaction, so the client never holds both or neither.
        _cancel_replaced(appointment=entry.appointment, by=offer)
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


def _cancel_replaced(*, appointment: Appointment, by: Offer) -> None:
    try:
        with transaction.atomic():  # a savepoint: a refused cancel leaves the booking to go on
            appointment_cancel_in_transaction(
                appointment=appointment,
                actor=None,
                reason=(
                    f"Replaced from the waitlist by {by.provider} at {by.start:%Y-%m-%d %H:%M} UTC."
                ),
                override_policy=True,
            )
    except InvalidTransition:  # cancelled or closed meanwhile: nothing left to free
        logger.info("Displaced appointment %s was no longer active", appointment.pk)


def fulfil(*, offer: Offer, batch: list[Offer], appointment: Appointment, now: datetime) -> None:
    """Record that `appointment` took the offer's held time (in the caller's transaction,
    the batch locked): the offer accepted, its entry fulfilled, the rest of the batch gone."""
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


def offer_accept(*, offer: Offer, client: User, now: datetime) -> Appointment:
    """Take the offered time: book it for `client` through the booking service (or move
    the entry's appointment there), fulfil the entry and tell the rest of the batch it has
    gone, all in one transaction. An offer past its expiry is expired now (its time goes to
    the next candidate) and answers HoldGone, as does one already answered or taken."""
    with transaction.atomic(durable=True):
        offer, batch = lock_batch(offer)
        _ensure_answerable(offer, client)
        expired = offer.expires_at <= now
        if expired:
            late = [o for o in batch if o.status == OfferStatus.PENDING and o.expires_at <= now]
            offers_close(offers=late, status=OfferStatus.EXPIRED, now=now)
        else:
            WaitlistEntry.objects.select_for_update().filter(pk=offer.entry_id).first()
            appointment = _take(offer, client)
            fulfil(offer=offer, batch=batch, appointment=appointment, now=now)
    if expired:
        raise HoldGone(EXPIRED_MESSAGE)
    return appointment


def offer_decline(*, offer: Offer, client: User, now: datetime) -> Offer:
    """Say no to the offered time (idempotent): it goes to the next candidate once no other
    client of the batch still considers it. A late decline expires the offer instead."""
    with transaction.atomic(durable=True):
        offer, _ = lock_batch(offer)
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
