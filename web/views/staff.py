"""The staff tools in the admin: the index's figures and charts, CSV downloads, the
conflicts page with one-click moves, and the staff reschedule form.

`web.admin_site.SmartBookAdminSite` mounts them and wraps each in its `admin_view`, so the
site's gate (`User.is_staff_member`, the one definition of staff) decides who reaches them;
others go to the admin login. Figures come from analytics (which only reads); every change
goes through `scheduling.services` with the staff member as the actor.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from analytics.selectors import (
    CHARTS,
    Dashboard,
    DashboardQuery,
    conflicting_appointments,
    dashboard,
    default_query,
    frame_records,
    local_today,
    open_slots_for,
    suggested_slots,
)
from scheduling.errors import SchedulingError, SlotUnavailable
from scheduling.models import Appointment
from scheduling.services import appointment_reschedule
from waitlist.selectors import freed_time_refill
from web.forms import DashboardFilterForm, RescheduleForm


def staff_zone(user) -> str:
    name = getattr(user, "timezone", "") or "UTC"
    try:
        ZoneInfo(name)
    except (KeyError, ValueError):
        return "UTC"
    return name


def filter_form(request: HttpRequest) -> DashboardFilterForm:
    return DashboardFilterForm(request.GET or None, default_tz=staff_zone(request.user))


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _points(value: float | None) -> str:
    return "" if value is None else f"{value * 100:+.1f} pp"


def _count_change(value: int | None) -> str:
    return "" if value is None else f"{value:+d}"


def headline_cards(result: Dashboard) -> list[dict]:
    now, before, change = result.figures, result.previous, result.change
    return [
        {
            "label": "Bookings",
            "value": now["bookings"],
            "previous": before["bookings"],
            "change": _count_change(change["bookings"]),
        },
        {
            "label": "Cancellations",
            "value": f"{now['cancellations']} ({_percent(now['cancellation_rate'])})",
            "previous": f"{before['cancellations']} ({_percent(before['cancellation_rate'])})",
            "change": _points(change["cancellation_rate"]),
        },
        {
            "label": "No-shows",
            "value": f"{now['no_shows']} ({_percent(now['no_show_rate'])})",
            "previous": f"{before['no_shows']} ({_percent(before['no_show_rate'])})",
            "change": _points(change["no_show_rate"]),
        },
        {
            "label": "Provider utilisation",
            "value": _percent(now["utilisation"]),
            "previous": _percent(before["utilisation"]),
            "change": _points(change["utilisation"]),
            "hint": f"{now['booked_minutes']:.0f} of {now['working_minutes']:.0f} working minutes",
        },
        {
            "label": "Booked from a recommendation",
            "value": f"{now['recommendation_bookings']} ({_percent(now['recommendation_share'])})",
            "previous": _percent(before["recommendation_share"]),
            "change": _points(change["recommendation_share"]),
        },
        {
            "label": "Top recommendation picked",
            "value": _percent(now["top_pick_rate"]),
            "previous": _percent(before["top_pick_rate"]),
            "change": _points(change["top_pick_rate"]),
        },
        {
            "label": "New clients",
            "value": now["new_clients"],
            "previous": before["new_clients"],
            "change": _count_change(change["new_clients"]),
        },
    ]


def heatmap_rows(records: list[dict]) -> list[dict]:
    peak = max((r["bookings"] for r in records), default=0) or 1
    rows: dict[str, list[dict]] = {}
    for record in records:
        rows.setdefault(record["weekday"], []).append(
            {
                "hour": record["hour"],
                "bookings": record["bookings"],
                "alpha": round(record["bookings"] / peak, 2),
            }
        )
    return [{"weekday": weekday, "cells": cells} for weekday, cells in rows.items()]


def dashboard_context(request: HttpRequest) -> dict:
    """Extra context of the admin index: the filter form and, if valid, the figures."""
    form = filter_form(request)
    context: dict = {"analytics_form": form, "analytics_charts": CHARTS}
    if form.is_bound and not form.is_valid():
        return context
    if form.is_bound:
        query = form.query
    else:
        query = form_default_query(request)
        # The inputs show the period the figures are for, not empty boxes.
        form = DashboardFilterForm(
            initial={"start": query.first_day, "end": query.last_day, "tz": query.tz},
            default_tz=query.tz,
        )
        context["analytics_form"] = form
    result = dashboard(query)
    charts = {name: frame_records(frame) for name, frame in result.charts.items()}
    context.update(
        analytics_query=query,
        analytics_previous=query.previous(),
        analytics_cards=headline_cards(result),
        analytics_chart_data=charts,
        analytics_heatmap=heatmap_rows(charts["heatmap"]),
        analytics_querystring=request.GET.urlencode(),
        analytics_conflicts_url=reverse("admin:analytics_conflicts"),
        waitlist_card=waitlist_card(query),
    )
    return context


def waitlist_card(query: DashboardQuery) -> dict:
    """The waitlist's card: how much of the provider time freed in the period was booked
    again, and how soon (the waitlist's own refill figures, for every provider)."""
    window = query.window
    figures = freed_time_refill(start=window.start, end=window.end)
    share = figures.share_refilled
    wait = figures.median_minutes_to_refill
    return {
        "share": "–" if share is None else f"{share:.0%}",
        "median": "–" if wait is None else _minutes_text(wait),
        "freed_hours": f"{figures.freed_minutes / 60:.1f}",
        "refilled_hours": f"{figures.refilled_minutes / 60:.1f}",
        "offers_accepted": figures.offers_accepted,
    }


def _minutes_text(minutes: float) -> str:
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / (24 * 60):.1f} days"


def form_default_query(request: HttpRequest) -> DashboardQuery:
    return default_query(tz=staff_zone(request.user))


def chart_csv(request: HttpRequest, chart: str) -> HttpResponse:
    """One chart's data as CSV, for the same filters as the dashboard."""
    if chart not in CHARTS:
        raise Http404("No such chart.")
    form = filter_form(request)
    if form.is_bound and not form.is_valid():
        errors = {field: list(messages_) for field, messages_ in form.errors.items()}
        return JsonResponse(
            {"detail": "Invalid input: " + ", ".join(sorted(errors)) + ".", "errors": errors},
            status=400,
        )
    query = form.query if form.is_bound else form_default_query(request)
    frame = dashboard(query).charts[chart]
    filename = f"{chart}_{query.first_day.isoformat()}_{query.last_day.isoformat()}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    frame.to_csv(response, index=False)
    return response


def _error_text(error: Exception) -> str:
    if isinstance(error, SchedulingError):
        return error.message
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "Not allowed."


def _move(
    request: HttpRequest, appointment: Appointment, new_start: datetime, reason: str
) -> Exception | None:
    """Reschedule through the booking service; returns the refusal, or None when moved."""
    try:
        appointment_reschedule(
            appointment=appointment,
            new_start=new_start,
            actor=request.user,
            reason=reason,
            override_policy=True,
        )
    except (SchedulingError, ValidationError, PermissionDenied) as error:
        return error
    return None


def conflicts_view(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = conflicting_appointments(now=now)
    for row in rows:
        row.suggestions = suggested_slots(appointment=row.appointment, now=now)
    context = {
        **admin_site_context(request),
        "title": "Appointments in conflict with working hours",
        "rows": rows,
        "viewer_zone": staff_zone(request.user),
    }
    return TemplateResponse(request, "admin/staff/conflicts.html", context)


def _parse_start(value: str) -> datetime | None:
    try:
        start = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return start if timezone.is_aware(start) else None


@require_POST
def conflict_move(request: HttpRequest, pk: int) -> HttpResponse:
    """One-click move of a conflicting appointment to a suggested slot."""
    appointment = get_object_or_404(
        Appointment.objects.select_related("provider", "service", "client"), pk=pk
    )
    new_start = _parse_start(request.POST.get("start", ""))
    if new_start is None:
        messages.error(request, "Give the new start as an ISO date-time with an offset.")
    else:
        error = _move(request, appointment, new_start, "Moved by staff: no longer fitted hours")
        if error:
            messages.error(request, f"{appointment}: not moved. {_error_text(error)}")
        else:
            messages.success(request, f"Moved to {new_start:%Y-%m-%d %H:%M} UTC.")
    target = request.POST.get("next") or reverse("admin:analytics_conflicts")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("admin:analytics_conflicts")
    return redirect(target)


def reschedule_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff reschedule form: the provider's open slots for a week, then the booking service."""
    appointment = get_object_or_404(
        Appointment.objects.select_related("provider", "service", "client"), pk=pk
    )
    provider_zone = appointment.provider.timezone
    try:
        first_day = date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        first_day = max(
            local_today(provider_zone), appointment.start.astimezone(ZoneInfo(provider_zone)).date()
        )
    form = RescheduleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            error = _move(
                request, appointment, form.cleaned_data["new_start"], form.cleaned_data["reason"]
            )
            if error is None:
                new_start = form.cleaned_data["new_start"]
                messages.success(request, f"Moved to {new_start:%Y-%m-%d %H:%M %Z}.")
                change_url = reverse("admin:scheduling_appointment_change", args=[appointment.pk])
                return redirect(change_url)
            messages.error(request, f"Not moved: {_error_text(error)}")
            status = 409 if isinstance(error, SlotUnavailable) else 400
        else:
            status = 400
        appointment.refresh_from_db()
    slots = open_slots_for(appointment=appointment, first_day=first_day)
    days: dict[date, list] = {}
    for slot in slots:
        days.setdefault(slot.local_start.date(), []).append(slot)
    context = {
        **admin_site_context(request),
        "title": f"Reschedule: {appointment}",
        "appointment": appointment,
        "form": form,
        "days": sorted(days.items()),
        "first_day": first_day,
        "previous_week": (first_day - timedelta(days=7)).isoformat(),
        "next_week": (first_day + timedelta(days=7)).isoformat(),
        "provider_zone": provider_zone,
    }
    return TemplateResponse(request, "admin/staff/reschedule.html", context, status=status)


def admin_site_context(request: HttpRequest) -> dict:
    return admin.site.each_context(request)


def staff_urls(site) -> list:
    """URL patterns added in front of the admin site's own (see web/admin_site.py).

    Their names keep the `analytics_` prefix they were published with."""
    return [
        path(
            "analytics/csv/<str:chart>",
            site.admin_view(chart_csv),
            name="analytics_csv",
        ),
        path("analytics/conflicts", site.admin_view(conflicts_view), name="analytics_conflicts"),
        path(
            "analytics/conflicts/<int:pk>/move",
            site.admin_view(conflict_move),
            name="analytics_conflict_move",
        ),
        path(
            "analytics/appointments/<int:pk>/reschedule",
            site.admin_view(reschedule_view),
            name="analytics_reschedule",
        ),
    ]
