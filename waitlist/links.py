"""Signed, single-use offer links: accept or decline without logging in.

A token signs (offer id, client id, nonce, expiry). It is refused when tampered with, when
the offer or client no longer match, and once the offer is answered (answering clears the
nonce, so a link works once). Past the expiry the token still names its offer, so that
opening a late link expires the offer and passes its time on (`offer_accept` /
`offer_decline` answer "this time has gone").

The pages behind the links (a GET showing the offer, with a button that POSTs) are web's;
they read the offer with `offer_for_token` and answer with the services.
"""

from __future__ import annotations

from accounts.models import User
from scheduling.errors import HoldGone
from smartbook.links import LinkTampered, link_payload, link_token, link_url, same_secret
from waitlist.errors import LinkInvalid, LinkUsed
from waitlist.models import Offer, OfferStatus

SALT = "waitlist.offer-link"
ACTIONS = ("accept", "decline")
# Where a link leads: web's page for the offer (`waitlist-offer-link`).
LINK_PATH = "/waitlist/offers/{action}/{token}"


def offer_token(offer: Offer) -> str:
    """The signed token of the offer for its client."""
    payload = {
        "o": offer.pk,
        "c": offer.entry.client_id,
        "n": offer.nonce,
        "e": int(offer.expires_at.timestamp()),
    }
    return link_token(payload, salt=SALT)


def offer_link(offer: Offer, *, action: str) -> str:
    """The absolute accept or decline URL for emails and in-app notifications."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown offer action {action!r}.")
    return link_url(LINK_PATH.format(action=action, token=offer_token(offer)))


def offer_links(offer: Offer) -> dict[str, str]:
    return {action: offer_link(offer, action=action) for action in ACTIONS}


def offer_for_token(token: str) -> tuple[Offer, User]:
    """The offer and client a token was made for. LinkInvalid when tampered with or not
    matching any offer of that client; LinkUsed once the offer was answered; HoldGone once
    it expired or went to someone else."""
    try:
        payload = link_payload(token, salt=SALT, keys=("o", "c", "n"))
        offer_id, client_id, nonce = int(payload["o"]), int(payload["c"]), str(payload["n"])
    except (LinkTampered, TypeError, ValueError):
        raise LinkInvalid() from None
    offer = (
        Offer.objects.select_related("entry__client", "provider", "service")
        .filter(pk=offer_id, entry__client_id=client_id)
        .first()
    )
    if offer is None or not nonce:
        raise LinkInvalid()
    if not offer.nonce:
        if offer.status in (OfferStatus.EXPIRED, OfferStatus.GONE):
            raise HoldGone("This time has gone: the offer is no longer open.")
        raise LinkUsed()
    if not same_secret(offer.nonce, nonce):
        raise LinkInvalid()
    return offer, offer.entry.client
