"""A recurring series as ONE calendar event (RFC 5545): its rule as RRULE, the starts it no
longer holds as EXDATE, the moved occurrences' new starts as RDATE.

DTSTART carries the provider's zone (TZID, with its VTIMEZONE), so calendar clients repeat
the wall-clock time across DST as the booking did. Where a rule's local time does not exist
on a date (the spring-forward gap), RFC 5545 reads it with the offset before the change
while the booking moved it to the transition (`availability.local_to_utc`): that date is an
EXDATE of the calendar's instant and an RDATE of the booked one, so every client shows the
instants that are booked, no more and no fewer.
"""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from icalendar import Calendar, Event, vRecur

from notifications.ical import _address, _calendar, appointment_url
from scheduling.models import (
    EVENT_UID_SUFFIX,
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    SeriesFrequency,
)
from scheduling.recurrence import Frequency, Recurrence, month_ordinal, occurrence_dates

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# The rule of a series never holds more than the policy's longest series (at most 104).
MOST_OCCURRENCES = 1000


def series_event_uid(series: AppointmentSeries) -> str:
    return f"series-{series.uid}{EVENT_UID_SUFFIX}"


def _rule(series: AppointmentSeries) -> Recurrence:
    return Recurrence(Frequency(series.frequency), count=series.count, until=series.until)


def _rrule(series: AppointmentSeries, first_local: datetime, last_start: datetime) -> vRecur:
    parts: dict = {}
    if series.frequency == SeriesFrequency.MONTHLY:
        ordinal = month_ordinal(first_local.date())
        parts = {"FREQ": "MONTHLY", "BYDAY": f"{ordinal}{WEEKDAYS[first_local.weekday()]}"}
    else:
        parts = {
            "FREQ": "WEEKLY",
            "INTERVAL": 2 if series.frequency == SeriesFrequency.BIWEEKLY else 1,
        }
    if series.count is not None:
        parts["COUNT"] = series.count
    else:
        parts["UNTIL"] = last_start.astimezone(UTC)  # the last start itself, inclusive
    return vRecur(parts)


def _kept(occurrence: Appointment) -> bool:
    """An occurrence in the calendar: every status but cancelled (past ones happened)."""
    return occurrence.status != AppointmentStatus.CANCELLED


def series_event(series: AppointmentSeries, occurrences: Iterable[Appointment]) -> Event | None:
    """The series' event, or None when none of its occurrences is kept any more."""
    occurrences = list(occurrences)
    kept = [o for o in occurrences if _kept(o)]
    if not kept:
        return None
    zone = ZoneInfo(series.timezone)
    first_local = series.first_start.astimezone(zone)
    wall = first_local.time().replace(tzinfo=None)
    dates = occurrence_dates(first_local.date(), _rule(series), limit=MOST_OCCURRENCES)
    # The calendar's reading of each date of the rule (RFC 5545: a nonexistent local time
    # takes the offset before the change, as zoneinfo's fold=0 does).
    calendar_starts = [datetime.combine(day, wall, tzinfo=zone) for day in dates]
    # What the rule gives less what is kept is excluded; what is kept beyond it is added:
    # the calendar's expansion is then exactly the kept starts.
    kept_starts = {o.start.astimezone(UTC) for o in kept}
    rule_starts = {start.astimezone(UTC) for start in calendar_starts}
    exdates = [start for start in calendar_starts if start.astimezone(UTC) not in kept_starts]
    rdates = sorted(kept_starts - rule_starts)
    sample = kept[0]
    provider, client = series.provider, series.client
    event = Event()
    event.add("uid", series_event_uid(series))
    event.add("sequence", series.sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", calendar_starts[0])
    event.add("duration", timedelta(minutes=series.service.duration_minutes))
    event.add("rrule", _rrule(series, first_local, calendar_starts[-1]))
    if exdates:
        event.add("exdate", exdates)
    if rdates:
        event.add("rdate", rdates)
    event.add("summary", f"{series.service.name} with {provider.display_name}")
    event.add(
        "description",
        f"SmartBook series of {len(kept)} appointments. Details: {appointment_url(sample)}",
    )
    event.add("url", appointment_url(sample))
    event.add("organizer", _address(provider.user.email, provider.display_name), encode=False)
    event.add(
        "attendee",
        _address(client.email, client.get_full_name(), ROLE="REQ-PARTICIPANT", PARTSTAT="ACCEPTED"),
        encode=False,
    )
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def _cancelled_event(series: AppointmentSeries) -> Event:
    event = Event()
    event.add("uid", series_event_uid(series))
    event.add("sequence", series.sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", series.first_start.astimezone(ZoneInfo(series.timezone)))
    event.add("duration", timedelta(minutes=series.service.duration_minutes))
    event.add("summary", f"{series.service.name} with {series.provider.display_name}")
    event.add("status", "CANCELLED")
    return event


def series_load(series_id: int) -> tuple[AppointmentSeries, list[Appointment]]:
    """The series and all its occurrences (two queries)."""
    series = AppointmentSeries.objects.select_related("provider__user", "client", "service").get(
        pk=series_id
    )
    return series, list(series.occurrences.order_by("series_original_start"))


def with_timezones(calendar: Calendar) -> bytes:
    calendar.add_missing_timezones()
    return calendar.to_ical()


def series_invite(series_id: int) -> bytes:
    """An email's attachment: the whole series as a REQUEST, or a CANCEL once none of its
    occurrences is kept."""
    series, occurrences = series_load(series_id)
    event = series_event(series, occurrences)
    calendar = _calendar("REQUEST" if event is not None else "CANCEL")
    calendar.add_component(event if event is not None else _cancelled_event(series))
    return with_timezones(calendar)


def feed_series_events(series_ids: Iterable[int]) -> list[Event]:
    """The feed's events for these series (two queries whatever their number)."""
    ids = set(series_ids)
    if not ids:
        return []
    found = AppointmentSeries.objects.select_related("provider__user", "client", "service").filter(
        pk__in=ids
    )
    occurrences: dict[int, list[Appointment]] = {pk: [] for pk in ids}
    for occurrence in Appointment.objects.filter(series_id__in=ids).order_by(
        "series_original_start"
    ):
        occurrences[occurrence.series_id].append(occurrence)
    events = [series_event(series, occurrences[series.pk]) for series in found]
    return [event for event in events if event is not None]
