"""What a client is told when the clinic acts on a high no-show risk, in their own zone:
the extra reminder (with its "I'm coming" / "I can't make it" links and, under
confirm-or-release, the deadline) and a standby place on the waitlist.

Like the offer emails, the links are made when the message is built (`attendance.actions`'
signed answer links, absolute from `SITE_URL`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings

from attendance.actions import CANNOT_COME, COMING, answer_links
from notifications.channels import Message
from notifications.messages import (
    appointment_context,
    email_message,
    format_time,
    subject_line,
    zone_of,
)
from notifications.models import NotificationKind
from scheduling.models import Appointment, BookingPolicy
from waitlist.models import StandbyPlace

WAITLIST_PATH = "/waitlist"


def extra_reminder_context(
    *, appointment: Appointment, confirm_by: datetime | None
) -> dict[str, Any]:
    client = appointment.client
    ctx = appointment_context(
        kind=NotificationKind.EXTRA_REMINDER, appointment=appointment, recipient=client, extra={}
    )
    zone = zone_of(client.timezone)
    ctx["confirm_by"] = format_time(confirm_by, zone) if confirm_by is not None else ""
    return ctx


def extra_reminder_headline(ctx: dict[str, Any]) -> tuple[str, str]:
    """(title, one-line summary) for the inbox and the email subject."""
    summary = (
        f"Your {ctx['service_name']} with {ctx['provider_name']} is on {ctx['when']}. "
        "Please tell us if you are coming."
    )
    if ctx["confirm_by"]:
        summary += f" Confirm by {ctx['confirm_by']} or the time will be offered to someone else."
    return "Are you still coming?", summary


def extra_reminder_in_app(*, appointment: Appointment, confirm_by: datetime | None) -> Message:
    ctx = extra_reminder_context(appointment=appointment, confirm_by=confirm_by)
    title, summary = extra_reminder_headline(ctx)
    links = answer_links(appointment)
    return Message(
        recipient=appointment.client,
        kind=NotificationKind.EXTRA_REMINDER,
        title=title,
        summary=summary,
        subject=subject_line(ctx, title),
        appointment=appointment,
        links=[
            {"label": "I'm coming", "url": links[COMING]},
            {"label": "I can't make it", "url": links[CANNOT_COME]},
        ],
    )


def extra_reminder_email(
    *, appointment: Appointment, confirm_by: datetime | None, to_email: str = ""
) -> Message:
    ctx = extra_reminder_context(appointment=appointment, confirm_by=confirm_by)
    title, summary = extra_reminder_headline(ctx)
    links = answer_links(appointment)
    ctx.update(coming_url=links[COMING], cannot_url=links[CANNOT_COME])
    return email_message(
        kind=NotificationKind.EXTRA_REMINDER,
        recipient=appointment.client,
        ctx=ctx,
        title=title,
        summary=summary,
        to_email=to_email,
        appointment=appointment,
    )


def standby_context(*, place: StandbyPlace) -> dict[str, Any]:
    client = place.entry.client
    appointment = place.appointment
    zone = zone_of(client.timezone)
    return {
        "kind": NotificationKind.STANDBY,
        "role": "client",
        "recipient_name": client.get_short_name(),
        "service_name": appointment.service.name,
        "provider_name": appointment.provider.display_name,
        "counterpart": appointment.provider.display_name,
        "when": format_time(appointment.start, zone),
        "until": format_time(appointment.end, zone, with_date=False),
        "zone_name": zone.key,
        "hold_minutes": BookingPolicy.load().hold_minutes,
        "waitlist_url": settings.SITE_URL + WAITLIST_PATH,
        "site_url": settings.SITE_URL,
    }


def standby_headline(ctx: dict[str, Any]) -> tuple[str, str]:
    return (
        "You are on standby",
        f"If {ctx['service_name']} with {ctx['provider_name']} on {ctx['when']} becomes "
        f"free, you are first in line: we will hold it for you for {ctx['hold_minutes']} "
        "minutes and tell you at once.",
    )


def standby_in_app(*, place: StandbyPlace) -> Message:
    ctx = standby_context(place=place)
    title, summary = standby_headline(ctx)
    return Message(
        recipient=place.entry.client,
        kind=NotificationKind.STANDBY,
        title=title,
        summary=summary,
        subject=subject_line(ctx, title),
    )


def standby_email(*, place: StandbyPlace, to_email: str = "") -> Message:
    ctx = standby_context(place=place)
    title, summary = standby_headline(ctx)
    return email_message(
        kind=NotificationKind.STANDBY,
        recipient=place.entry.client,
        ctx=ctx,
        title=title,
        summary=summary,
        to_email=to_email,
    )
