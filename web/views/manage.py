"""Manage by link: the pages behind the view, reschedule and cancel links of a client's
emails (`scheduling.manage_links`). No sign-in: the signed link is the credential, for that
one appointment. A GET only shows (mail scanners open links); changes are POSTed, through the
booking services with the client as the actor, so their rules and cut-off apply. A changed
link answers 400 and an appointment that is over 410, each with a page of its own.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from scheduling import rules
from scheduling.errors import LinkInvalid, SchedulingError
from scheduling.manage_links import (
    ManageLinkExpired,
    appointment_for_link,
    manage_paths,
)
from scheduling.models import Appointment, BookingPolicy
from scheduling.selectors import appointment_client_past_cutoff, policy_facts, slot_offer
from scheduling.services import appointment_cancel, appointment_reschedule
from web.views.pages import BOOKING_WINDOW_DAYS, _zone_of
from web.views.waitlist import link_problem_page

LINK_PROBLEMS = {
    "invalid": (400, "This link is not valid", "The link is incomplete or was changed."),
    "expired": (410, "This appointment is over", "Its links work until it ends."),
}


def _problem(request: HttpRequest, problem: str) -> HttpResponse:
    return link_problem_page(
        request, problems=LINK_PROBLEMS, template="pages/manage_link_problem.html", problem=problem
    )


def _opened(token: str) -> Appointment | str:
    """The link's appointment, or the name of its problem."""
    try:
        return appointment_for_link(token, now=timezone.now())
    except LinkInvalid:
        return "invalid"
    except ManageLinkExpired:
        return "expired"


def _context(appointment: Appointment, token: str, *, step: str, **extra) -> dict:
    zone = _zone_of(appointment.client)
    policy = BookingPolicy.load()
    now = timezone.now()
    return {
        "appointment": appointment,
        "step": step,
        "links": manage_paths(token),
        "start": appointment.start.astimezone(zone),
        "end": appointment.end.astimezone(zone),
        "zone_name": zone.key,
        "changeable": appointment.is_active
        and not appointment_client_past_cutoff(appointment=appointment, policy=policy, now=now),
        "policy": policy,
        "page_title": {
            "view": "Your appointment",
            "reschedule": "Move your appointment",
            "cancel": "Cancel your appointment",
        }[step],
        **extra,
    }


@never_cache
@require_http_methods(["GET"])
def manage_view(request: HttpRequest, token: str) -> HttpResponse:
    opened = _opened(token)
    if isinstance(opened, str):
        return _problem(request, opened)
    done = request.GET.get("done", "")
    return render(
        request,
        "pages/manage.html",
        _context(opened, token, step="view", done=done if done in ("moved", "cancelled") else ""),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def manage_cancel(request: HttpRequest, token: str) -> HttpResponse:
    opened = _opened(token)
    if isinstance(opened, str):
        return _problem(request, opened)
    context = _context(opened, token, step="cancel")
    if request.method == "GET" or not context["changeable"]:
        # Cancelled already, or past the cut-off: the page says so (and whom to contact).
        return render(request, "pages/manage.html", context)
    reason = request.POST.get("reason", "").strip()[:500]
    try:
        appointment_cancel(appointment=opened, actor=opened.client, reason=reason)
    except SchedulingError as error:
        context["error"] = error.message
        return render(request, "pages/manage.html", context, status=error.status_code)
    return redirect(f"{manage_paths(token)['view']}?done=cancelled")


def _times_by_day(appointment: Appointment, now: datetime) -> list[dict]:
    """Where the appointment may move in the coming days, by the client's local day: each
    time with whether it could still be changed online afterwards (the cut-off rule)."""
    zone = _zone_of(appointment.client)
    policy = BookingPolicy.load()
    _, slots = slot_offer(
        service=appointment.service,
        start=now,
        end=now + timedelta(days=BOOKING_WINDOW_DAYS),
        providers=[appointment.provider],
        client=appointment.client,
        moving=appointment,
        policy=policy,
        now=now,
    )
    facts = policy_facts(policy)
    days: dict = defaultdict(list)
    for slot in slots:
        local = slot.start.astimezone(zone)
        locked = rules.cutoff_refusal(start=slot.start, now=now, policy=facts, bound=True)
        days[local.date()].append(
            {"value": slot.start.isoformat(), "local": local, "locked": locked is not None}
        )
    return [{"day": day, "times": times} for day, times in sorted(days.items())]


@never_cache
@require_http_methods(["GET", "POST"])
def manage_reschedule(request: HttpRequest, token: str) -> HttpResponse:
    opened = _opened(token)
    if isinstance(opened, str):
        return _problem(request, opened)
    now = timezone.now()
    context = _context(opened, token, step="reschedule")
    if not context["changeable"]:
        return render(request, "pages/manage.html", context)
    if request.method == "POST":
        try:
            new_start = datetime.fromisoformat(request.POST.get("start", ""))
        except ValueError:
            new_start = None
        if new_start is None or new_start.tzinfo is None:
            context.update(error="Choose one of the times below.", days=_times_by_day(opened, now))
            return render(request, "pages/manage.html", context, status=400)
        try:
            appointment_reschedule(appointment=opened, new_start=new_start, actor=opened.client)
        except SchedulingError as error:
            context.update(error=error.message, days=_times_by_day(opened, now))
            return render(request, "pages/manage.html", context, status=error.status_code)
        return redirect(f"{manage_paths(token)['view']}?done=moved")
    context["days"] = _times_by_day(opened, now)
    return render(request, "pages/manage.html", context)
