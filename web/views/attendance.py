"""The pages behind the extra reminder's one-click links ("I'm coming", "I can't make it",
`attendance.actions`): no sign-in, the signed link is the credential. A GET only shows the
appointment (mail scanners open links); its button POSTs. A changed link answers 400, a used
"I can't make it" 409, an appointment that moved, started or was cancelled otherwise 410,
each with a page of its own.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from attendance import actions
from scheduling.errors import InvalidTransition
from scheduling.models import Appointment
from waitlist.errors import LinkInvalid, LinkUsed
from web.views.pages import _zone_of
from web.views.waitlist import link_problem_page

# Why a link no longer works, in the client's words, with the status it answers.
LINK_PROBLEMS = {
    "invalid": (400, "This link is not valid", "The link is incomplete or was changed."),
    "used": (409, "This link was already used", "You told us already that you can't make it."),
    "gone": (
        410,
        "This appointment has changed",
        "It was moved or cancelled, or its time has passed.",
    ),
}


def _link_problem(request: HttpRequest, problem: str) -> HttpResponse:
    return link_problem_page(
        request,
        problems=LINK_PROBLEMS,
        template="pages/attendance_link_problem.html",
        problem=problem,
    )


def _problem_of(token: str) -> str:
    """Which problem the link has now (after a refused answer)."""
    try:
        actions.appointment_for_answer(token, now=timezone.now())
    except LinkInvalid:
        return "invalid"
    except LinkUsed:
        return "used"
    except actions.AnswerGone:
        return "gone"
    return "gone"  # pragma: no cover - a refused answer leaves the link refused


def _context(request: HttpRequest, appointment: Appointment, answer: str) -> dict:
    client = appointment.client
    viewer = request.user if request.user.is_authenticated else client
    zone = _zone_of(viewer)
    return {
        "appointment": appointment,
        "answer": answer,
        "start": appointment.start.astimezone(zone),
        "end": appointment.end.astimezone(zone),
        "zone_name": zone.key,
        "mine": actions.answered_by(appointment, request.user),
        "page_title": "Are you coming?",
    }


@never_cache
@require_http_methods(["GET", "POST"])
def answer_link(request: HttpRequest, answer: str, token: str) -> HttpResponse:
    """The page behind the extra reminder's "I'm coming" or "I can't make it" link."""
    if answer not in actions.ANSWERS:
        raise Http404("No such link.")
    try:
        appointment = actions.appointment_for_answer(token, now=timezone.now())
    except LinkInvalid:
        return _link_problem(request, "invalid")
    except LinkUsed:
        return _link_problem(request, "used")
    except actions.AnswerGone:
        return _link_problem(request, "gone")
    context = _context(request, appointment, answer)
    if request.method == "GET":
        return render(request, "pages/attendance_answer.html", context)
    try:
        if answer == actions.COMING:
            appointment = actions.attendance_coming(appointment=appointment)
        else:
            appointment = actions.attendance_cannot_come(appointment=appointment)
    except InvalidTransition:  # cancelled, released or answered meanwhile
        return _link_problem(request, _problem_of(token))
    context.update(done=True, appointment=appointment, page_title="Thank you")
    return render(request, "pages/attendance_answer.html", context)
