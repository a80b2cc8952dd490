"""Signed links that act without a login (an offer's accept, an appointment's "I'm coming"):
the one place that signs their tokens and reads them back.

A token is a signed, compressed JSON object of short keys, under a salt of its own kind of
link, so one kind's token is never another's. Reading refuses a token that was changed,
signed under another salt or lacks a key (`LinkTampered`); what the payload names (its row,
whether it was used or has gone) is the caller's question.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core import signing


class LinkTampered(Exception):
    """The token was changed, made for another kind of link, or is not a token at all."""


def link_token(payload: dict[str, Any], *, salt: str) -> str:
    return signing.dumps(payload, salt=salt, compress=True)


def link_url(path: str) -> str:
    """The absolute URL of a link's page, for emails and in-app notifications."""
    return settings.SITE_URL + path


def link_payload(token: str, *, salt: str, keys: Iterable[str]) -> dict[str, Any]:
    """The payload a token was signed with; LinkTampered unless it is intact and holds every
    one of `keys`."""
    try:
        payload = signing.loads(token, salt=salt)
    except signing.BadSignature:
        raise LinkTampered() from None
    if not isinstance(payload, dict) or any(key not in payload for key in keys):
        raise LinkTampered()
    return payload


def same_secret(stored: str, given: str) -> bool:
    """Whether a link's one-time secret is still the stored one (compared in constant time);
    an empty stored secret (used up) matches nothing."""
    return bool(stored) and hmac.compare_digest(stored, given)
