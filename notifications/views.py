"""Calendar downloads: the secret subscription feed and one appointment's .ics."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from notifications import ical, selectors
from scheduling.models import Appointment
from scheduling.selectors import appointment_for_user

ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"


@require_GET
@never_cache
def calendar_feed(request, token: str):
    # The token is the only credential: unknown and revoked tokens look the same.
    feed = selectors.calendar_feed_by_token(token=token)
    if feed is None:
        raise Http404("No such calendar.")
    body = ical.feed_calendar(
        name=f"SmartBook ({feed.user.email})",
        appointments=selectors.user_upcoming_appointments(user=feed.user),
    )
    response = HttpResponse(body, content_type=ICS_CONTENT_TYPE)
    response["Content-Disposition"] = 'inline; filename="smartbook.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
@login_required
def appointment_ics(request, pk: int):
    try:
        appointment = appointment_for_user(user=request.user, appointment_id=pk)
    except Appointment.DoesNotExist as exc:
        raise Http404("No such appointment.") from exc
    response = HttpResponse(ical.appointment_download(appointment), content_type=ICS_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="appointment-{appointment.pk}.ics"'
    return response
