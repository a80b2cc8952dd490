"""Web pages for clients and providers.

The pages read through the ORM to render lists on the server (so they are readable without
JavaScript); every change (book, reschedule, cancel, complete, profile, mark read) goes through
our own API from the page's script, with the session and its CSRF token, so the web and API
clients share every rule.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import TimeOfDay, _timezone_names
from accounts.services import profile_ensure
from attendance.selectors import appointment_risks
from notifications.messages import in_zone
from notifications.selectors import notification_list, notification_unread_count
from notifications.services import calendar_feed_get_or_create
from providers.models import Provider, Urgency, Weekday
from providers.selectors import provider_list, service_list, upcoming_time_off
from recommendations.models import ProviderWish
from recommendations.selectors import provider_wishes
from scheduling.availability import Interval, free_intervals, working_intervals
from scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    BookingPolicy,
    GroupSession,
)
from scheduling.selectors import (
    appointment_client_cutoff,
    appointment_client_past_cutoff,
    appointment_for_user,
    provider_schedules,
)
from scheduling.sessions import with_participants
from waitlist.services.entries import client_today
from web.params import id_or_none
from web.waitlist_forms import join_forms

BOOKING_WINDOW_DAYS = 14
# Past and cancelled appointments shown per page of "My appointments".
PAST_PER_PAGE = 20
SCHEDULE_REACH_DAYS = 5 * 366


def _zone_of(user) -> ZoneInfo:
    try:
        return ZoneInfo(getattr(user, "timezone", "") or "UTC")  # a visitor has none
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "pages/forbidden.html", {"message": message}, status=403)


def provider_required(view):
    """Sign-in first (redirect to the login page), then the provider role (403 page)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        provider = Provider.objects.filter(user=request.user).first()
        if not request.user.is_provider or provider is None:
            return _forbidden(request, "This page is for providers: it shows a provider's diary.")
        return view(request, *args, provider=provider, **kwargs)

    return wrapper


# --- booking ----------------------------------------------------------------------------------


# The month view's columns, Monday first: (short, full).
WEEKDAY_NAMES = tuple((str(label)[:3], str(label)) for _, label in Weekday.choices)


def _booking_context(request: HttpRequest, policy: BookingPolicy) -> dict:
    providers = provider_list()
    return {
        "services": service_list(),
        "providers": [
            {"provider": p, "service_ids": " ".join(str(s.pk) for s in p.services.all())}
            for p in providers
        ],
        "urgencies": Urgency.choices,
        "viewer_timezone": _zone_of(request.user).key,
        "horizon_days": policy.horizon_days,
        "cutoff_hours": policy.client_cutoff_hours,
        "weekday_names": WEEKDAY_NAMES,
    }


def book(request: HttpRequest) -> HttpResponse:
    """The booking page. A visitor browses services, providers and free times (in their
    browser's zone); choosing a time asks them to log in or sign up, and brings them back
    here to the same time (`?service=&provider=&start=`)."""
    policy = BookingPolicy.load()
    context = _booking_context(request, policy)
    selected = request.GET.get("service", "")
    visitor = not request.user.is_authenticated
    context.update(
        selected_service=id_or_none(request.GET.get("service", "")),
        # "Book again" opens the page with the service and provider of a past appointment.
        selected_provider=id_or_none(request.GET.get("provider", "")),
        mode="book",
        visitor=visitor,
        page_title="Book an appointment",
        series_policy=policy,  # the "repeat" choice (pages/_series_repeat.html)
    )
    if visitor:
        context["viewer_timezone"] = ""  # the page shows the browser's zone, named
    else:
        # "Tell me when a time opens", for when no time fits (posts to the waitlist's page).
        context.update(
            join_forms(today=client_today(request.user, timezone.now()), service=selected)
        )
    return render(request, "pages/book.html", context)


def _appointment_for(request: HttpRequest, pk: int) -> Appointment:
    """The appointment if the viewer may see it (the one access gate); else 404."""
    try:
        return appointment_for_user(user=request.user, appointment_id=pk)
    except Appointment.DoesNotExist as exc:
        raise Http404("No such appointment.") from exc


@login_required
def appointment_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment_for(request, pk)
    if appointment.client_id != request.user.pk:
        raise Http404("No such appointment.")
    policy = BookingPolicy.load()
    cutoff = appointment_client_cutoff(appointment=appointment, policy=policy)
    past_cutoff = appointment_client_past_cutoff(
        appointment=appointment, policy=policy, now=timezone.now()
    )
    context = _booking_context(request, policy)
    context.update(
        appointment=appointment,
        selected_service=appointment.service_id,
        mode="reschedule",
        page_title="Reschedule your appointment",
        can_change=appointment.is_active and not past_cutoff,
        past_cutoff=past_cutoff,
        cutoff=cutoff,
        policy=policy,
    )
    return render(request, "pages/book.html", context)


# --- my appointments --------------------------------------------------------------------------


@login_required
def appointment_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    # Only the viewer's own bookings as a client (a provider's diary is on /schedule).
    mine = Appointment.objects.filter(client=request.user).select_related(
        "service", "provider__user"
    )
    upcoming = list(mine.filter(end__gt=now, status__in=ACTIVE_STATUSES).order_by("start"))
    policy = BookingPolicy.load()
    for appointment in upcoming:
        appointment.changeable = not appointment_client_past_cutoff(
            appointment=appointment, policy=policy, now=now
        )
    past = Paginator(
        mine.filter(Q(end__lte=now) | ~Q(status__in=ACTIVE_STATUSES)).order_by("-start", "-pk"),
        PAST_PER_PAGE,
    ).get_page(request.GET.get("page"))
    feed = calendar_feed_get_or_create(user=request.user)
    return render(
        request,
        "pages/appointments.html",
        {
            "upcoming": upcoming,
            "past": past,
            "viewer_timezone": _zone_of(request.user).key,
            "policy": policy,
            "feed_url": request.build_absolute_uri(feed.path),
            "page_title": "My appointments",
        },
    )


@login_required
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment_for(request, pk)
    policy = BookingPolicy.load()
    now = timezone.now()
    is_client = appointment.client_id == request.user.pk
    cutoff = appointment_client_cutoff(appointment=appointment, policy=policy)
    return render(
        request,
        "pages/appointment_detail.html",
        {
            "appointment": appointment,
            "is_client": is_client,
            "is_provider": appointment.provider.user_id == request.user.pk,
            "can_change": appointment.is_active and appointment.end > now,
            "started": appointment.start <= now,
            "past_cutoff": appointment_client_past_cutoff(
                appointment=appointment, policy=policy, now=now
            ),
            "cutoff": cutoff,
            "policy": policy,
            "changes": list(appointment.changes.order_by("changed_at")),
            "session": _session_of(appointment),
            "viewer_timezone": _zone_of(request.user).key,
            "page_title": f"{appointment.service.name} with {appointment.provider.display_name}",
        },
    )


def _session_of(appointment):
    """A seat's group session with its participants counted (None for a private one): the
    page says how full the class is, never who else attends."""
    if appointment.session_id is None:
        return None
    return with_participants(GroupSession.objects).get(pk=appointment.session_id)


# --- provider schedule ------------------------------------------------------------------------


MIN_FREE_SHOWN = timedelta(minutes=5)


@provider_required
def provider_schedule(request: HttpRequest, *, provider: Provider) -> HttpResponse:
    zone = _zone_of(request.user)
    today = timezone.localtime(timezone.now(), zone).date()
    view = "day" if request.GET.get("view") == "day" else "week"
    try:
        anchor = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        anchor = today
    if abs((anchor - today).days) > SCHEDULE_REACH_DAYS:
        anchor = today  # far-off dates (up to date.max) would overflow the arithmetic below
    first = anchor if view == "day" else anchor - timedelta(days=anchor.weekday())
    days = [first + timedelta(days=i) for i in range(1 if view == "day" else 7)]
    range_start = datetime.combine(days[0], time(0), tzinfo=zone)
    range_end = datetime.combine(days[-1] + timedelta(days=1), time(0), tzinfo=zone)

    appointments = list(
        provider.appointments.filter(start__lt=range_end, end__gt=range_start)
        .select_related("client", "service")
        .order_by("start")
    )
    # The risk of not coming, for the appointments still to come (one batch of queries).
    risks = appointment_risks(a.pk for a in appointments if a.is_active and a.end > timezone.now())
    for appointment in appointments:
        appointment.no_show_risk = risks.get(appointment.pk)
    # Working and free time come from the availability core itself (DST, holidays, time off
    # and buffers exactly as booking sees them).
    (schedule,) = provider_schedules(providers=[provider], start=range_start, end=range_end)
    working = working_intervals(schedule, days[0] - timedelta(days=1), days[-1] + timedelta(days=1))
    free = free_intervals(schedule, Interval(range_start, range_end))

    now = timezone.now()
    columns = []
    for day in days:
        day_start = datetime.combine(day, time(0), tzinfo=zone)
        day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        # Free time is what can still be booked: from now on, at least five minutes long.
        day_free = [
            Interval(max(b.start, day_start, now), min(b.end, day_end))
            for b in free
            if b.start < day_end and b.end > max(day_start, now)
        ]
        day_free = [b for b in day_free if b.end - b.start >= MIN_FREE_SHOWN]
        day_appointments = [
            a for a in appointments if day_start <= a.start.astimezone(zone) < day_end
        ]
        entries = _schedule_entries(day_appointments)
        entries += [{"kind": "free", "start": b.start, "block": b} for b in day_free]
        entries.sort(key=lambda entry: (entry["start"], entry["kind"]))
        day_working = [b for b in working if b.start < day_end and b.end > day_start]
        works = bool(day_working)
        columns.append(
            {
                "date": day,
                "is_today": day == today,
                "is_past": day_end <= now,
                "works": works,
                # The day's working time is over (today after hours): nothing is bookable
                # any more, which is not the same as fully booked.
                "is_over": works and all(min(b.end, day_end) <= now for b in day_working),
                "appointments": day_appointments,
                "free": day_free,
                "entries": entries,
            }
        )

    step = timedelta(days=1 if view == "day" else 7)
    return render(
        request,
        "pages/schedule.html",
        {
            "provider": provider,
            "view": view,
            "columns": columns,
            "anchor": anchor,
            "previous": anchor - step,
            "next": anchor + step,
            "today": today,
            "now": now,
            "working_hours": provider.working_hours.order_by("weekday", "start_time"),
            "upcoming_time_off": upcoming_time_off(provider=provider, now=timezone.now()),
            "viewer_timezone": zone.key,
            "page_title": "My schedule",
        },
    )


def _schedule_entries(appointments: list) -> list[dict]:
    """The day's entries: an appointment each, and a group session once with its seats (the
    attendees, each with their own status and page)."""
    entries: list[dict] = []
    sessions: dict[int, dict] = {}
    for appointment in appointments:
        if appointment.session_id is None:
            entries.append(
                {"kind": "appointment", "start": appointment.start, "appointment": appointment}
            )
            continue
        if appointment.session_id not in sessions:
            sessions[appointment.session_id] = {
                "kind": "session",
                "start": appointment.start,
                "first": appointment,
                "seats": [],
                "taken": 0,
            }
            entries.append(sessions[appointment.session_id])
        entry = sessions[appointment.session_id]
        entry["seats"].append(appointment)
        entry["taken"] += appointment.is_active
    return entries


# --- notifications and profile ----------------------------------------------------------------


@login_required
def notifications_page(request: HttpRequest) -> HttpResponse:
    zone = _zone_of(request.user)
    items = list(notification_list(user=request.user)[:100])
    for item in items:
        # Entries keep the words they were written with; their times follow the reader's zone.
        item.title = in_zone(item.title, zone)
        item.body = in_zone(item.body, zone)
    return render(
        request,
        "pages/notifications.html",
        {
            "items": items,
            "unread": notification_unread_count(user=request.user),
            "viewer_timezone": _zone_of(request.user).key,
            "page_title": "Notifications",
        },
    )


ZONE_REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe")
ZONE_REGIONS += ("Indian", "Pacific")


def _zone_label(name: str) -> str:
    """`America/Argentina/Buenos_Aires` as a person reads it: `Argentina – Buenos Aires`."""
    return " – ".join(part.replace("_", " ") for part in name.split("/")[1:]) or name


def zone_choices(current: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The zone picker's options by region: the places of the zone list (not its legacy
    aliases such as `US/Eastern` or `Etc/GMT+5`), UTC, and the user's own zone whatever it is."""
    names = _timezone_names()
    groups: dict[str, list[tuple[str, str]]] = {region: [] for region in ZONE_REGIONS}
    for name in sorted(names):
        region = name.split("/", 1)[0]
        if region in groups and "/" in name:
            groups[region].append((name, _zone_label(name)))
    other = [("UTC", "UTC (Coordinated Universal Time)")]
    if current and current != "UTC" and current.split("/", 1)[0] not in groups:
        other.append((current, current.replace("_", " ")))
    return [
        (region, sorted(items, key=lambda item: item[1])) for region, items in groups.items()
    ] + [("Other", other)]


# The reminders offered on the profile, in minutes before the appointment (at most
# MAX_REMINDERS may be chosen; the API says so in plain words).
REMINDER_CHOICES = (7 * 24 * 60, 2 * 24 * 60, 24 * 60, 3 * 60, 60)


def reminder_label(minutes: int) -> str:
    """`1440` as a person reads it: `1 day before`."""
    for size, unit in ((7 * 24 * 60, "week"), (24 * 60, "day"), (60, "hour"), (1, "minute")):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'' if count == 1 else 's'} before"
    return f"{minutes} minutes before"  # pragma: no cover (every whole minute divides by 1)


def reminder_choices(chosen: list[int]) -> list[dict]:
    """The reminder choices, longest first: ours, and any other the user already has."""
    leads = sorted(set(REMINDER_CHOICES) | set(chosen or ()), reverse=True)
    return [
        {"minutes": lead, "label": reminder_label(lead), "checked": lead in (chosen or ())}
        for lead in leads
    ]


def _provider_wish_rows(user) -> list[dict]:
    """Each active provider with the client's wish about them ("" for none)."""
    wishes = provider_wishes(client=user)
    return [
        {"provider": provider, "wish": wishes.get(provider.pk, "")}
        for provider in provider_list()
        if provider.user_id != user.pk
    ]


def clock_times(*chosen) -> list[str]:
    """Every half hour of the day ("00:00" ... "23:30"), and any chosen time between them."""
    times = {f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in (0, 30)}
    times |= {f"{value:%H:%M}" for value in chosen if value is not None}
    return sorted(times)


@login_required
def profile_page(request: HttpRequest) -> HttpResponse:
    profile = profile_ensure(user=request.user)
    return render(
        request,
        "pages/profile.html",
        {
            "profile": profile,
            "weekdays": Weekday.choices,
            "times_of_day": TimeOfDay.choices,
            "zone_groups": zone_choices(request.user.timezone),
            "reminder_choices": reminder_choices(profile.reminder_lead_minutes),
            "clock_times": clock_times(profile.earliest_time, profile.latest_time),
            "provider_wishes": _provider_wish_rows(request.user),
            "wish_choices": [("", "No preference"), *ProviderWish.choices],
            "earliest": f"{profile.earliest_time:%H:%M}",
            "latest": f"{profile.latest_time:%H:%M}",
            "page_title": "Your profile",
        },
    )
