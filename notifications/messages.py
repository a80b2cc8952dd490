"""What each recipient is told about an appointment event, in their own time zone."""

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from notifications.channels import Attachment, Message
from notifications.ical import ICS_MIMETYPE, appointment_invite, appointment_url
from notifications.models import NotificationKind
from scheduling.manage_links import manage_links
from scheduling.models import Appointment

CLIENT = "client"
PROVIDER = "provider"


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def format_time(value: datetime, zone: ZoneInfo, *, with_date: bool = True) -> str:
    """`Tuesday 3 March 2026, 14:30 GMT (Europe/London)`: the zone is always named."""
    local = value.astimezone(zone)
    clock = f"{local:%H:%M} {local.tzname()} ({zone.key})"
    if not with_date:
        return clock
    return f"{local:%A} {local.day} {local:%B %Y}, {clock}"


# format_time's phrase with its date, as stored in inbox entries and shown later.
_TIME_PHRASE = re.compile(
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) (?P<day>\d{1,2}) "
    r"(?P<month>[A-Z][a-z]+) (?P<year>\d{4}), (?P<clock>\d{2}:\d{2}) "
    r"(?P<abbr>[^\s()]+) \((?P<zone>[A-Za-z0-9_+\-/]+)\)"
)


def _phrase_instant(match: re.Match) -> datetime | None:
    """The instant a format_time phrase names (its abbreviation tells a repeated hour)."""
    try:
        zone = ZoneInfo(match["zone"])
        naive = datetime.strptime(  # noqa: DTZ007 (the zone is attached just below)
            f"{match['day']} {match['month']} {match['year']} {match['clock']}", "%d %B %Y %H:%M"
        )
    except (ZoneInfoNotFoundError, ValueError):
        return None
    for fold in (0, 1):
        candidate = naive.replace(tzinfo=zone, fold=fold)
        if candidate.tzname() == match["abbr"]:
            return candidate
    return naive.replace(tzinfo=zone)


def in_zone(text: str, zone: ZoneInfo) -> str:
    """`text` with every dated format_time phrase told again in `zone`: an inbox entry
    written before its reader changed zone reads in the zone the page names."""

    def retell(match: re.Match) -> str:
        instant = _phrase_instant(match)
        return match[0] if instant is None else format_time(instant, zone)

    return _TIME_PHRASE.sub(retell, text)


def recipient_role(appointment: Appointment, user) -> str:
    return PROVIDER if user.pk == appointment.provider.user_id else CLIENT


def actor_label(appointment: Appointment, actor_id: int | None, role: str) -> str:
    """Who did it, as the recipient would say it: empty when nobody did (a job, or the
    clinic acting on the client's own answer), where the sentence names no one and the
    reason says why."""
    if actor_id is None:
        return ""
    if actor_id == appointment.client_id:
        return "you" if role == CLIENT else "the client"
    if actor_id == appointment.provider.user_id:
        return "you" if role == PROVIDER else "the provider"
    return "our staff"


def _parse_instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value)
    return None


def appointment_context(
    *, kind: str, appointment: Appointment, recipient, extra: dict[str, Any]
) -> dict[str, Any]:
    zone = zone_of(recipient.timezone)
    role = recipient_role(appointment, recipient)
    old_start = _parse_instant(extra.get("old_start"))
    url = appointment_url(appointment)
    # The client's email links manage the appointment without logging in while it lasts.
    links = (
        manage_links(appointment)
        if role != PROVIDER and appointment.is_active and appointment.end > timezone.now()
        else {"view": url, "reschedule": f"{url}/reschedule", "cancel": f"{url}#cancel"}
    )
    counterpart = (
        appointment.client.get_full_name()
        if role == PROVIDER
        else appointment.provider.display_name
    )
    return {
        "kind": kind,
        "role": role,
        "recipient_name": recipient.get_short_name(),
        "appointment": appointment,
        "service_name": appointment.service.name,
        "provider_name": appointment.provider.display_name,
        "client_name": appointment.client.get_full_name(),
        "counterpart": counterpart,
        "when": format_time(appointment.start, zone),
        "until": format_time(appointment.end, zone, with_date=False),
        "old_when": format_time(old_start, zone) if old_start else "",
        "zone_name": zone.key,
        "actor": actor_label(appointment, extra.get("actor_id"), role),
        "reason": extra.get("reason") or appointment.cancellation_reason,
        "lead_minutes": extra.get("lead_minutes"),
        "series_count": extra.get("series_count") or 0,
        # A seat of a group session: the email says so (never who else attends).
        "group_seats": appointment.service.capacity if appointment.session_id else 0,
        "view_url": links["view"],
        "reschedule_url": links["reschedule"],
        "cancel_url": links["cancel"],
        "feedback_url": f"{url}#feedback",
        "site_url": settings.SITE_URL,
    }


def _lead_text(minutes: int | None) -> str:
    if not minutes:
        return "soon"
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return "tomorrow" if days == 1 else f"in {days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "in 1 hour" if hours == 1 else f"in {hours} hours"
    return f"in {minutes} minutes"


def _by(ctx: dict[str, Any]) -> str:
    return f" by {ctx['actor']}" if ctx["actor"] else ""


def headline(ctx: dict[str, Any]) -> tuple[str, str]:
    """(title, one-line summary) for the inbox and the email subject; a change of several
    occurrences of a series says so (one message for all of them)."""
    title, summary = _headline(ctx)
    return _series_headline(ctx, title, summary)


def _series_headline(ctx: dict[str, Any], title: str, summary: str) -> tuple[str, str]:
    count, kind = ctx.get("series_count") or 0, ctx["kind"]
    if count < 2:
        return title, summary
    series = ctx["appointment"].series
    how = series.get_frequency_display().lower() if series is not None else "repeating"
    if kind == NotificationKind.BOOKED:
        return (
            "New series booking" if ctx["role"] == PROVIDER else "Series booked",
            f"{summary} It is the first of {count} appointments, {how}; the invitation "
            "holds them all.",
        )
    if kind == NotificationKind.RESCHEDULED:
        return "Series moved", f"{summary} The next {count - 1} of the series moved with it."
    if kind == NotificationKind.CANCELLED:
        return "Series cancelled", f"{summary} So were the next {count - 1} of the series."
    return title, summary


def _headline(ctx: dict[str, Any]) -> tuple[str, str]:
    kind, role, when = ctx["kind"], ctx["role"], ctx["when"]
    what = f"{ctx['service_name']} with {ctx['counterpart']}"
    if kind == NotificationKind.BOOKED:
        if role == PROVIDER:
            return "New booking", f"{ctx['client_name']} booked {ctx['service_name']} on {when}."
        return "Appointment booked", f"Your {what} is booked for {when}."
    if kind == NotificationKind.RESCHEDULED:
        # One sentence each: the times name their zone in brackets already.
        moved = f" It was {ctx['old_when']}." if ctx["old_when"] else ""
        return "Appointment moved", f"{what} moved to {when}{_by(ctx)}.{moved}"
    if kind == NotificationKind.CANCELLED:
        reason = f" Reason: {ctx['reason']}" if ctx["reason"] else ""
        return "Appointment cancelled", f"{what} on {when} was cancelled{_by(ctx)}.{reason}"
    if kind == NotificationKind.REMINDER:
        return (
            f"Reminder: {ctx['service_name']} {_lead_text(ctx['lead_minutes'])}",
            f"{what} on {when}.",
        )
    if kind == NotificationKind.COMPLETED:
        if role == PROVIDER:
            return "Appointment completed", f"{what} on {when} is marked completed."
        return "How was your appointment?", f"Tell us how your {what} on {when} went."
    if kind == NotificationKind.NO_SHOW:
        if role == PROVIDER:
            return "Marked as no-show", f"{what} on {when} is marked as a no-show."
        return "Missed appointment", f"You were marked absent from {what} on {when}."
    return "Appointment update", f"{what} on {when}."


def appointment_in_app(
    *, kind: str, appointment: Appointment, recipient, extra: dict[str, Any]
) -> Message:
    ctx = appointment_context(kind=kind, appointment=appointment, recipient=recipient, extra=extra)
    title, summary = headline(ctx)
    return Message(
        recipient=recipient,
        kind=kind,
        title=title,
        summary=summary,
        subject=subject_line(ctx, title),
        appointment=appointment,
    )


def subject_line(ctx: dict[str, Any], title: str) -> str:
    """The subject of our emails about one time: what it is and when."""
    return f"[SmartBook] {title}: {ctx['service_name']}, {ctx['when']}"


def email_message(
    *,
    kind: str,
    recipient,
    ctx: dict[str, Any],
    title: str,
    summary: str,
    to_email: str = "",
    appointment: Appointment | None = None,
    attachments: list[Attachment] | None = None,
) -> Message:
    """An email of our kind `kind`: its subject line, and its text and HTML bodies rendered
    from `emails/<kind>.txt` and `.html` with `ctx` (which gets the title and summary)."""
    ctx.update(title=title, summary=summary)
    return Message(
        recipient=recipient,
        kind=kind,
        title=title,
        summary=summary,
        subject=subject_line(ctx, title),
        text_body=render_to_string(f"emails/{kind}.txt", ctx),
        html_body=render_to_string(f"emails/{kind}.html", ctx),
        attachments=attachments or [],
        appointment=appointment,
        to_email=to_email,
    )


def appointment_email(
    *, kind: str, appointment: Appointment, recipient, extra: dict[str, Any], to_email: str = ""
) -> Message:
    ctx = appointment_context(kind=kind, appointment=appointment, recipient=recipient, extra=extra)
    title, summary = headline(ctx)
    attachments = []
    if kind in {
        NotificationKind.BOOKED,
        NotificationKind.RESCHEDULED,
        NotificationKind.CANCELLED,
        NotificationKind.REMINDER,
    }:
        attachments.append(Attachment("invite.ics", appointment_invite(appointment), ICS_MIMETYPE))
    return email_message(
        kind=kind,
        recipient=recipient,
        ctx=ctx,
        title=title,
        summary=summary,
        to_email=to_email,
        appointment=appointment,
        attachments=attachments,
    )


def digest_email(
    *, provider, day: date, appointments: list[Appointment], to_email: str = ""
) -> Message:
    zone = zone_of(provider.timezone)
    rows = [
        {
            "time": f"{a.start.astimezone(zone):%H:%M}-{a.end.astimezone(zone):%H:%M}",
            "service": a.service.name,
            "client": a.client.get_full_name() or a.client.email,
            "notes": a.client_notes,
            "url": appointment_url(a),
        }
        for a in appointments
    ]
    ctx = {
        "provider_name": provider.display_name,
        "day": f"{day:%A} {day.day} {day:%B %Y}",
        "zone_name": zone.key,
        "rows": rows,
        "site_url": settings.SITE_URL,
    }
    count = len(rows)
    title = f"Tomorrow: {count} appointment{'s' if count != 1 else ''}"
    return Message(
        recipient=provider.user,
        kind=NotificationKind.DIGEST,
        title=title,
        summary=f"{title} on {ctx['day']} ({zone.key}).",
        subject=f"[SmartBook] Your schedule for {ctx['day']}",
        text_body=render_to_string("emails/digest.txt", ctx),
        html_body=render_to_string("emails/digest.html", ctx),
        to_email=to_email,
    )
