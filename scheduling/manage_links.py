"""Manage by link: the signed links in a client's emails that view, reschedule or cancel one
appointment without logging in (as Calendly's and Cal.com's do).

A token names the appointment and its client (`smartbook.links`, under a salt of its own) and
nothing else: it opens that appointment's three pages, never the client's other appointments
or account. It works until the appointment ends; a cancelled appointment's link still shows
it, cancelled. Every change goes through the booking services with the client as the actor,
so the client's rules and cut-off apply as on the signed-in pages.
"""

from __future__ import annotations

from datetime import datetime

from scheduling.errors import LinkInvalid
from scheduling.models import Appointment
from smartbook.links import LinkTampered, link_payload, link_token, link_url

SALT = "scheduling.manage-link"  # pragma: no mutate (any salt of its own; tests refuse others')
# web's pages (`manage-appointment`, `-reschedule`, `-cancel`).
PATHS = {"view": "/manage/{token}", "reschedule": "/manage/{token}/reschedule"}
PATHS["cancel"] = PATHS["view"] + "/cancel"


class ManageLinkExpired(Exception):
    """The appointment is over: its links end with it (web's page answers 410)."""


def manage_token(appointment: Appointment) -> str:
    return link_token({"a": appointment.pk, "c": appointment.client_id}, salt=SALT)


def manage_paths(token: str) -> dict[str, str]:
    """The view, reschedule and cancel pages of a token, as paths."""
    return {action: path.format(token=token) for action, path in PATHS.items()}


def manage_links(appointment: Appointment) -> dict[str, str]:
    """The view, reschedule and cancel links of the appointment, absolute, for its client."""
    return {
        action: link_url(path) for action, path in manage_paths(manage_token(appointment)).items()
    }


def appointment_for_link(token: str, *, now: datetime) -> Appointment:
    """The appointment a manage link was made for: LinkInvalid when the token was
    changed or names no appointment of its client, ManageLinkExpired once it has ended."""
    try:
        payload = link_payload(token, salt=SALT, keys=("a", "c"))
        appointment_id, client_id = int(payload["a"]), int(payload["c"])
    except (LinkTampered, TypeError, ValueError):
        raise LinkInvalid() from None
    appointment = (
        Appointment.objects.select_related("client", "provider__user", "service")
        .filter(pk=appointment_id, client_id=client_id)
        .first()
    )
    if appointment is None:
        raise LinkInvalid()
    if appointment.end <= now:
        raise ManageLinkExpired()
    return appointment
