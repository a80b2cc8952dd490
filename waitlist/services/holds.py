"""Closing offers and releasing the time they held: the one place an offer stops being
pending other than by its acceptance."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from scheduling.services import hold_release
from waitlist import dispatch, events
from waitlist.models import Offer, OfferStatus

_EVENTS = {
    OfferStatus.GONE: events.offer_gone,
    OfferStatus.EXPIRED: events.offer_expired,
    OfferStatus.DECLINED: None,  # the client said so themselves: nothing to tell them
}


def offers_close(
    *, offers: Iterable[Offer], status: str, now: datetime, release: bool = True
) -> None:
    """Close pending `offers` (locked by the caller) with `status`: their links stop
    working, and (with `release`) a hold that no pending offer of its batch still needs is
    released and its time offered to the next candidate, after commit. Without `release`
    the hold was taken (by the batch's accepted offer)."""
    offers = [offer for offer in offers if offer.status == OfferStatus.PENDING]
    if not offers:
        return
    for offer in offers:
        offer.status = status
        offer.responded_at = now if status == OfferStatus.DECLINED else None
        offer.nonce = ""
        offer.save(update_fields=["status", "responded_at", "nonce"])
        signal = _EVENTS[status]
        if signal is not None:
            events.send_on_commit(signal, offer=offer)
    if not release:
        return
    for hold_id in {offer.hold_id for offer in offers if offer.hold_id is not None}:
        still_needed = Offer.objects.filter(hold_id=hold_id, status=OfferStatus.PENDING).exists()
        if still_needed:
            continue
        offer = next(o for o in offers if o.hold_id == hold_id)
        # Released here, or already by a booking of the provider that found it expired:
        # either way the time is free again.
        hold_release(hold=offer.hold)
        dispatch.match_freed_on_commit(
            provider_id=offer.provider_id, start=offer.start, end=offer.end
        )
