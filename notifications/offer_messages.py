"""What a waitlisted client is told about an offer (made, gone, expired), in their own zone.

The offer's links are `waitlist.links`' signed, single-use accept and decline URLs (absolute,
from `SITE_URL`, like every link in our emails); they are made when the message is built, so
an email rendered after the offer was answered is skipped rather than sent with dead links.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from notifications.channels import Message
from notifications.messages import email_message, format_time, subject_line, zone_of
from notifications.models import NotificationKind
from waitlist.links import offer_links
from waitlist.models import EntryStatus, Offer

WAITLIST_PATH = "/waitlist"


def offer_context(*, kind: str, offer: Offer) -> dict[str, Any]:
    client = offer.entry.client
    zone = zone_of(client.timezone)
    moving = offer.entry.appointment
    return {
        "kind": kind,
        "role": "client",
        "recipient_name": client.get_short_name(),
        "service_name": offer.service.name,
        "provider_name": offer.provider.display_name,
        "counterpart": offer.provider.display_name,
        "when": format_time(offer.start, zone),
        "until": format_time(offer.end, zone, with_date=False),
        "held_until": format_time(offer.expires_at, zone, with_date=False),
        "zone_name": zone.key,
        "moving_when": format_time(moving.start, zone) if moving is not None else "",
        "still_waiting": offer.entry.status == EntryStatus.ACTIVE,
        "waitlist_url": settings.SITE_URL + WAITLIST_PATH,
        "site_url": settings.SITE_URL,
    }


def offer_headline(ctx: dict[str, Any]) -> tuple[str, str]:
    """(title, one-line summary) for the inbox and the email subject."""
    what = f"{ctx['service_name']} with {ctx['provider_name']} on {ctx['when']}"
    waiting = " You are still on the waitlist." if ctx["still_waiting"] else ""
    if ctx["kind"] == NotificationKind.WAITLIST:
        move = (
            f" Accepting moves your appointment of {ctx['moving_when']}."
            if ctx["moving_when"]
            else ""
        )
        return (
            "A time opened for you",
            f"{what} is held for you until {ctx['held_until']}.{move}",
        )
    if ctx["kind"] == NotificationKind.OFFER_GONE:
        return "The time has gone", f"Another client took {what} first.{waiting}"
    return "The offered time has passed", f"{what} was not taken in time.{waiting}"


def offer_in_app(*, kind: str, offer: Offer) -> Message:
    ctx = offer_context(kind=kind, offer=offer)
    title, summary = offer_headline(ctx)
    return Message(
        recipient=offer.entry.client,
        kind=kind,
        title=title,
        summary=summary,
        subject=subject_line(ctx, title),
    )


def offer_action_links(offer: Offer) -> list[dict[str, str]]:
    """The inbox entry's buttons: the same signed links as the email's."""
    links = offer_links(offer)
    return [
        {"label": "Accept", "url": links["accept"]},
        {"label": "Decline", "url": links["decline"]},
    ]


def offer_email(*, kind: str, offer: Offer, to_email: str = "") -> Message:
    ctx = offer_context(kind=kind, offer=offer)
    title, summary = offer_headline(ctx)
    if kind == NotificationKind.WAITLIST:
        links = offer_links(offer)
        ctx.update(accept_url=links["accept"], decline_url=links["decline"])
    return email_message(
        kind=kind,
        recipient=offer.entry.client,
        ctx=ctx,
        title=title,
        summary=summary,
        to_email=to_email,
    )
