"""Reads for the staff dashboard: a bounded number of queries turned into pandas frames.

The arithmetic lives in `analytics.aggregations` (pure); this module only fetches rows and
hands them over. A dashboard costs the same handful of queries whatever the data size.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Role
from analytics import aggregations as agg
from analytics.working_time import minutes, working_intervals
from providers.models import Provider, Service
from scheduling import selectors as scheduling_selectors
from scheduling.availability import Interval, ProviderSchedule, Slot
from scheduling.models import Appointment, AppointmentStatus
from scheduling.selectors import working_conflicts

DEFAULT_DAYS = 30
MAX_DAYS = 366
# The dates a report may cover: analytics counts days with pandas, whose timestamps end in
# 2262, and no clinic has bookings outside these.
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2200, 12, 31)
FORECAST_DAYS = 14
FORECAST_WEEKS = 8
CHARTS = ("bookings_per_day", "heatmap", "utilisation", "services", "forecast")


@dataclass(frozen=True)
class DashboardQuery:
    """What the dashboard shows: inclusive local dates in `tz`, optional filters."""

    first_day: date
    last_day: date
    tz: str = "UTC"
    provider: Provider | None = None
    service: Service | None = None

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def window(self) -> Interval:
        return period_bounds(self.first_day, self.last_day, self.tz)

    def previous(self) -> DashboardQuery:
        """The period of the same length just before this one."""
        last = self.first_day - timedelta(days=1)
        return replace(self, first_day=last - timedelta(days=self.days - 1), last_day=last)


def local_today(tz: str, *, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(ZoneInfo(tz)).date()


def default_query(
    *, tz: str = "UTC", now: datetime | None = None, **filters: Any
) -> DashboardQuery:
    """The last 30 days, today included."""
    today = local_today(tz, now=now)
    return DashboardQuery(
        first_day=today - timedelta(days=DEFAULT_DAYS - 1), last_day=today, tz=tz, **filters
    )


def build_query(
    *,
    start: date | None = None,
    end: date | None = None,
    tz: str = "UTC",
    provider: Provider | None = None,
    service: Service | None = None,
    now: datetime | None = None,
) -> DashboardQuery:
    """The query for validated filter values; a missing side of the range gives 30 days.

    Raises ValidationError naming `end` or `start` for a reversed or too long range, or a
    date outside the years a report may cover.
    """
    for name, day in (("start", start), ("end", end)):
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            raise ValidationError(
                {name: f"Choose a date from {EARLIEST_DAY:%Y} to {LATEST_DAY:%Y}."}
            )
    if start is None and end is None:
        return default_query(tz=tz, now=now, provider=provider, service=service)
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if end is None:
        end = start + timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise ValidationError({"end": "The end date must not be before the start date."})
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationError({"start": f"Choose a range of at most {MAX_DAYS} days."})
    return DashboardQuery(first_day=start, last_day=end, tz=tz, provider=provider, service=service)


def period_bounds(first_day: date, last_day: date, tz: str) -> Interval:
    """[first_day 00:00, the day after last_day 00:00) in `tz`, as UTC instants."""
    zone = ZoneInfo(tz)
    start = datetime.combine(first_day, time.min, tzinfo=zone)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)
    return Interval(start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC")))


# --- rows -> frames -------------------------------------------------------------------------


def appointments_frame(
    *,
    start: datetime,
    end: datetime,
    provider_id: int | None = None,
    service_id: int | None = None,
) -> pd.DataFrame:
    """Appointments starting in [start, end), one query."""
    rows = Appointment.objects.filter(start__gte=start, start__lt=end)
    if provider_id:
        rows = rows.filter(provider_id=provider_id)
    if service_id:
        rows = rows.filter(service_id=service_id)
    values = list(
        rows.values_list(
            "id",
            "provider_id",
            "provider__display_name",
            "service_id",
            "service__name",
            "client_id",
            "status",
            "source",
            "start",
            "end",
            "session_id",
        )
    )
    if not values:
        return agg.empty_appointments()
    frame = pd.DataFrame(values, columns=agg.APPOINTMENT_COLUMNS)
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    frame["end"] = pd.to_datetime(frame["end"], utc=True)
    return frame


def providers_in_scope(
    *, provider: Provider | None = None, service: Service | None = None
) -> list[Provider]:
    """The providers whose working time the figures count: the filter, else every active one."""
    if provider is not None:
        return [provider]
    providers = Provider.objects.filter(is_active=True)
    if service is not None:
        providers = providers.filter(services=service)
    return list(providers.order_by("display_name"))


def provider_schedules(
    *, providers: list[Provider], window: Interval
) -> dict[int, ProviderSchedule]:
    """Each provider's working time around `window`: scheduling's own loader, without the
    busy time (a year of appointments the dashboard does not need); three queries."""
    schedules = scheduling_selectors.provider_schedules(
        providers=providers, start=window.start, end=window.end, with_busy=False
    )
    return {schedule.provider_id: schedule for schedule in schedules}


def working_frame(
    *, providers: list[Provider], schedules: dict[int, ProviderSchedule], window: Interval
) -> pd.DataFrame:
    """Working minutes per provider in `window` (no query: schedules are loaded)."""
    rows = [
        (p.id, p.display_name, minutes(working_intervals(schedules[p.id], window)))
        for p in providers
    ]
    if not rows:
        return agg.empty_working()
    return pd.DataFrame(rows, columns=agg.WORKING_COLUMNS)


def client_join_dates(*, start: datetime, end: datetime) -> list[datetime]:
    return list(
        get_user_model()
        .objects.filter(role=Role.CLIENT, date_joined__gte=start, date_joined__lt=end)
        .values_list("date_joined", flat=True)
    )


def recommendation_picks_frame(
    *,
    start: datetime,
    end: datetime,
    provider_id: int | None = None,
    service_id: int | None = None,
) -> pd.DataFrame | None:
    """Rank of the picked slot for each recommendation list booked from, by the booked
    appointment's start (one query); None if the recommendations app keeps no log."""
    try:
        log_model = apps.get_model("recommendations", "RecommendationLog")
    except LookupError:
        return None
    logs = log_model.objects.filter(
        picked_item__isnull=False,
        picked_appointment__start__gte=start,
        picked_appointment__start__lt=end,
    )
    if provider_id:
        logs = logs.filter(picked_appointment__provider_id=provider_id)
    if service_id:
        logs = logs.filter(picked_appointment__service_id=service_id)
    ranks = list(logs.values_list("picked_item__rank", flat=True))
    return pd.DataFrame({"picked_rank": pd.Series(ranks, dtype="int64")})


# --- the dashboard --------------------------------------------------------------------------


@dataclass
class Dashboard:
    query: DashboardQuery
    figures: dict
    previous: dict
    change: dict
    charts: dict[str, pd.DataFrame]


def no_show_frame(
    *, start: datetime, end: datetime, provider_id: int | None = None, service_id: int | None = None
) -> pd.DataFrame:
    """Attended and missed appointments starting in [start, end), with their stored risk
    (attendance's last estimate before the day), one query."""
    rows = Appointment.objects.filter(
        start__gte=start, start__lt=end, status__in=[AppointmentStatus.COMPLETED, agg.NO_SHOW]
    )
    if provider_id:
        rows = rows.filter(provider_id=provider_id)
    if service_id:
        rows = rows.filter(service_id=service_id)
    values = list(
        rows.order_by("start").values_list(
            "id",
            "provider__display_name",
            "service__name",
            "status",
            "start",
            "created_at",
            "risk_score__probability",
        )
    )
    if not values:
        return agg.empty_no_shows()
    frame = pd.DataFrame(values, columns=agg.NO_SHOW_COLUMNS)
    for column in ("start", "created_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["probability"] = frame["probability"].astype(float)
    return frame


@dataclass(frozen=True)
class NoShowReport:
    """Predicted against actual no-shows by week, and the no-show rate by service, provider,
    lead time and weekday (frames of `analytics.aggregations`)."""

    outcomes: int
    no_shows: int
    calibration: pd.DataFrame
    by_service: pd.DataFrame
    by_provider: pd.DataFrame
    by_lead_time: pd.DataFrame
    by_weekday: pd.DataFrame

    @property
    def rate(self) -> float | None:
        return agg.ratio(self.no_shows, self.outcomes)


def no_show_report(query: DashboardQuery) -> NoShowReport:
    """The dashboard's no-show section for `query` (one query)."""
    window = query.window
    outcomes = no_show_frame(
        start=window.start,
        end=window.end,
        provider_id=query.provider.id if query.provider else None,
        service_id=query.service.id if query.service else None,
    )
    return NoShowReport(
        outcomes=len(outcomes),
        no_shows=int((outcomes["status"] == agg.NO_SHOW).sum()),
        calibration=agg.no_show_calibration_by_week(outcomes, tz=query.tz),
        by_service=agg.no_show_rates(outcomes, "service"),
        by_provider=agg.no_show_rates(outcomes, "provider"),
        by_lead_time=agg.no_show_by_lead_time(outcomes),
        by_weekday=agg.no_show_by_weekday(outcomes, tz=query.tz),
    )


def _in_window(frame: pd.DataFrame, window: Interval) -> pd.DataFrame:
    start, end = pd.Timestamp(window.start), pd.Timestamp(window.end)
    return frame[(frame["start"] >= start) & (frame["start"] < end)]


def dashboard(query: DashboardQuery, *, now: datetime | None = None) -> Dashboard:
    """Every number and series of the dashboard for `query` (a fixed number of queries)."""
    now = now or timezone.now()
    previous = query.previous()
    current_window, previous_window = query.window, previous.window
    provider_id = query.provider.id if query.provider else None
    service_id = query.service.id if query.service else None

    today = local_today(query.tz, now=now)
    history_first = today - timedelta(weeks=FORECAST_WEEKS)
    history_window = period_bounds(history_first, today - timedelta(days=1), query.tz)
    span_start = min(previous_window.start, history_window.start)
    span_end = max(current_window.end, history_window.end)
    appointments = appointments_frame(
        start=span_start, end=span_end, provider_id=provider_id, service_id=service_id
    )

    providers = providers_in_scope(provider=query.provider, service=query.service)
    schedules = provider_schedules(
        providers=providers, window=Interval(previous_window.start, current_window.end)
    )
    joined = pd.Series(
        pd.to_datetime(
            client_join_dates(start=previous_window.start, end=current_window.end), utc=True
        ),
        dtype="datetime64[ns, UTC]",
    )

    working = {
        window: working_frame(providers=providers, schedules=schedules, window=window)
        for window in (current_window, previous_window)
    }

    def figures_for(window: Interval) -> dict:
        start, end = pd.Timestamp(window.start), pd.Timestamp(window.end)
        return agg.period_figures(
            _in_window(appointments, window),
            working[window],
            new_clients=int(((joined >= start) & (joined < end)).sum()),
            picks=recommendation_picks_frame(
                start=window.start, end=window.end, provider_id=provider_id, service_id=service_id
            ),
        )

    figures, previous_figures = figures_for(current_window), figures_for(previous_window)
    current = _in_window(appointments, current_window)
    history = agg.bookings_per_day(
        _in_window(appointments, history_window),
        first_day=history_first,
        last_day=today - timedelta(days=1),
        tz=query.tz,
    )
    charts = {
        "bookings_per_day": agg.bookings_per_day(
            current, first_day=query.first_day, last_day=query.last_day, tz=query.tz
        ),
        "heatmap": agg.heatmap_long(agg.weekday_hour_heatmap(current, tz=query.tz)),
        "utilisation": agg.utilisation_per_provider(current, working[current_window]),
        "services": agg.bookings_per_service(current),
        "forecast": agg.forecast_bookings(
            history, first_day=today, days=FORECAST_DAYS, weeks=FORECAST_WEEKS
        ),
    }
    return Dashboard(
        query=query,
        figures=figures,
        previous=previous_figures,
        change=agg.compare_periods(figures, previous_figures),
        charts=charts,
    )


def provider_utilisation(provider: Provider, start: datetime, end: datetime) -> float | None:
    """Booked minutes over working minutes of one provider in [start, end) (None: no hours)."""
    window = Interval(start, end)
    schedules = provider_schedules(providers=[provider], window=window)
    working = minutes(working_intervals(schedules[provider.id], window))
    booked = appointments_frame(start=start, end=end, provider_id=provider.id)
    return agg.period_figures(
        booked,
        pd.DataFrame([(provider.id, provider.display_name, working)], columns=agg.WORKING_COLUMNS),
        new_clients=0,
    )["utilisation"]


def users_summary(query: DashboardQuery) -> dict:
    """The users side of the dashboard: new clients per day and by period, clients by role."""
    previous = query.previous()
    window, previous_window = query.window, previous.window
    joined = client_join_dates(start=previous_window.start, end=window.end)
    zone = ZoneInfo(query.tz)
    local_dates = pd.Series([d.astimezone(zone).date() for d in joined], dtype=object)
    days = pd.date_range(query.first_day, query.last_day, freq="D").date
    per_day = local_dates.value_counts().reindex(days, fill_value=0)
    current_count = int(sum(window.start <= d < window.end for d in joined))
    previous_count = len(joined) - current_count
    roles = (
        get_user_model()
        .objects.filter(is_active=True)
        .aggregate(**{role.value: Count("id", filter=Q(role=role)) for role in Role})
    )
    booking_clients = (
        Appointment.objects.filter(start__gte=window.start, start__lt=window.end)
        .filter(Q(provider=query.provider) if query.provider else Q())
        .filter(Q(service=query.service) if query.service else Q())
        .values("client_id")
        .distinct()
        .count()
    )
    return {
        "new_clients": current_count,
        "previous_new_clients": previous_count,
        "change": current_count - previous_count,
        "clients_with_bookings": booking_clients,
        "active_users_by_role": roles,
        "new_clients_per_day": pd.DataFrame(
            {"date": list(days), "new_clients": per_day.to_numpy(dtype=int)}
        ),
    }


def frame_records(frame: pd.DataFrame) -> list[dict]:
    """JSON-ready rows: dates as ISO strings, NaN as None, numpy scalars as Python ones."""
    records = []
    for row in frame.to_dict(orient="records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, date):
                clean[key] = value.isoformat()
            elif value is None or (isinstance(value, float) and pd.isna(value)):
                clean[key] = None
            elif hasattr(value, "item"):
                clean[key] = value.item()
            else:
                clean[key] = value
        records.append(clean)
    return records


# --- conflicts: appointments that no longer fit their provider's schedule ---------------------

CONFLICTS_LIMIT = 200
SUGGESTIONS = 3


@dataclass
class ConflictRow:
    appointment: Appointment
    reason: str
    suggestions: list = field(default_factory=list)


def conflicting_appointments(
    *, now: datetime | None = None, limit: int = CONFLICTS_LIMIT
) -> list[ConflictRow]:
    """Active future appointments that the booking rules' working-time rule no longer
    accepts (e.g. after staff changed the hours), soonest first, with why: the waitlist's
    `working_conflicts`, the one answer its rebooking of displaced clients uses too."""
    found = working_conflicts(now=now or timezone.now(), limit=limit)
    return [ConflictRow(appointment, reason) for appointment, reason in found]


def suggested_slots(
    *,
    appointment: Appointment,
    now: datetime | None = None,
    limit: int = SUGGESTIONS,
    days_around: int = 14,
) -> list[Slot]:
    """The staff-move slots nearest the appointment's time (same provider and service)."""
    now = now or timezone.now()
    start = max(now, appointment.start - timedelta(days=days_around))
    end = max(start, appointment.start) + timedelta(days=days_around)
    slots = scheduling_selectors.staff_move_slots(
        appointment=appointment, start=start, end=end, now=now
    )
    nearest = sorted(slots, key=lambda slot: abs(slot.start - appointment.start))[:limit]
    return sorted(nearest, key=lambda slot: slot.start)


def open_slots_for(
    *, appointment: Appointment, first_day: date, days: int = 7, now: datetime | None = None
) -> list[Slot]:
    """The provider's open slots for the appointment's service over `days` provider-local days
    from `first_day` (what the staff reschedule form offers)."""
    zone = ZoneInfo(appointment.provider.timezone)
    window = Interval(
        datetime.combine(first_day, time.min, tzinfo=zone).astimezone(ZoneInfo("UTC")),
        datetime.combine(first_day + timedelta(days=days), time.min, tzinfo=zone).astimezone(
            ZoneInfo("UTC")
        ),
    )
    return scheduling_selectors.staff_move_slots(
        appointment=appointment, start=window.start, end=window.end, now=now
    )
