"""The provider's own hours and time off (staff keep the admin): each change is checked
first, showing which upcoming appointments it would leave outside the provider's working
time and what happens to them, then saved through the providers' services.

The check runs the very save in a savepoint and rolls it back: the same validation, and
the appointments that `scheduling.selectors.working_conflicts` (the booking rules' working
time rule) would find once it is saved. A confirmed save must match what was shown: when the
appointments it affects changed meanwhile, the page shows the new list instead of saving.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from providers.models import Provider
from providers.selectors import upcoming_time_off
from providers.services import (
    provider_add_time_off,
    provider_remove_time_off,
    provider_set_working_hours,
)
from scheduling.selectors import working_conflicts
from web.params import id_or_none
from web.schedule_forms import TimeOffForm, WeeklyHoursForm
from web.views.pages import provider_required


class _Checked(Exception):
    """Raised inside the savepoint to roll the checked change back."""


def _newly_outside(provider: Provider, change: Callable[[], object]) -> list:
    """The upcoming appointments (with why) that `change` would leave outside the provider's
    working time and that are inside it now; the change is made and rolled back (a
    ValidationError of the services goes to the caller)."""
    now = timezone.now()
    before = {appointment.pk for appointment, _ in working_conflicts(now=now, provider=provider)}
    try:
        with transaction.atomic():
            change()
            after = working_conflicts(now=now, provider=provider)
            raise _Checked
    except _Checked:
        pass
    return [(appointment, why) for appointment, why in after if appointment.pk not in before]


def _ids(conflicts: list) -> str:
    return ",".join(str(appointment.pk) for appointment, _ in conflicts)


@provider_required
def schedule_hours(request: HttpRequest, *, provider: Provider) -> HttpResponse:
    zone = ZoneInfo(provider.timezone)
    hours_form = WeeklyHoursForm(provider=provider)
    off_form = TimeOffForm()
    check = None  # what the change would do, shown before saving
    if request.method == "POST":
        kind = request.POST.get("form")
        if kind == "hours":
            hours_form = WeeklyHoursForm(request.POST, provider=provider)
            form = hours_form

            def change():
                return provider_set_working_hours(
                    provider=provider, working_hours=hours_form.intervals, actor=request.user
                )
        elif kind == "time_off":
            with timezone.override(zone):  # the times are the provider's wall clock
                off_form = TimeOffForm(request.POST)
                off_form.is_valid()
            form = off_form

            def change():
                data = off_form.cleaned_data
                return provider_add_time_off(
                    provider=provider,
                    start=data["start"],
                    end=data["end"],
                    reason=data["reason"],
                    actor=request.user,
                )
        elif kind == "remove_time_off":
            time_off = get_object_or_404(
                provider.time_off, pk=id_or_none(request.POST.get("time_off", ""))
            )
            provider_remove_time_off(time_off=time_off, actor=request.user)
            return redirect(f"{request.path}?saved=time_off_removed")
        else:
            return redirect("schedule-hours")
        if form.is_valid():
            try:
                affected = _newly_outside(provider, change)
            except ValidationError as error:
                form.apply_service_errors(error)
            else:
                confirmed = request.POST.get("confirm") == "1"
                if confirmed and request.POST.get("checked", "") == _ids(affected):
                    change()  # for real: its commit sends the events (smart rescheduling)
                    return redirect(f"{request.path}?saved={kind}&moved={len(affected)}")
                check = {
                    "kind": kind,
                    "affected": affected,
                    "ids": _ids(affected),
                    "changed_meanwhile": confirmed,
                }
    return render(
        request,
        "pages/schedule_hours.html",
        {
            "provider": provider,
            "hours_form": hours_form,
            "off_form": off_form,
            "check": check,
            "saved": request.GET.get("saved"),
            "moved": request.GET.get("moved"),
            "upcoming_time_off": upcoming_time_off(provider=provider, now=timezone.now()),
            "viewer_timezone": provider.timezone,
            "page_title": "My hours and time off",
        },
    )
