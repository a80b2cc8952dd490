"""Busy time from iCalendar data (RFC 5545) with `icalendar` and `recurring-ical-events`.

- Opaque events block; TRANSP:TRANSPARENT and STATUS:CANCELLED ones do not.
- Recurring events are expanded over the window (RRULE, RDATE, EXDATE, and occurrences
  overridden with RECURRENCE-ID, moved or cancelled), DST included: the library computes each
  occurrence in the event's own zone.
- TZID times land at their instant, UTC ones as they are; floating times and all-day dates are
  the provider's wall clock (an all-day event blocks the provider's whole local day or days).
- SmartBook's own events (UID ending in `@smartbook`, the appointments we push) are skipped:
  they are appointments already.

The input is bytes (or a parsed calendar), the output `providers.services.BusyPeriod`s in UTC.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from providers.services import BusyPeriod
from scheduling.availability import local_to_utc
from scheduling.models import EVENT_UID_SUFFIX, appointment_event_uid

PRODID = "-//SmartBook//Provider calendar//EN"
# A pathological RRULE (every second for years) would expand without end: past this many
# occurrences of one file the rest are dropped and the import says so.
MAX_OCCURRENCES = 20_000


class CalendarUnreadable(ValueError):
    """The data is not a calendar we can read; `str()` says why in plain words."""


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of an event time. Floating times and dates (the start of that local
    day) are the provider's wall clock, read by the availability core's one rule for clock
    changes (`local_to_utc`: a skipped time moves to the transition, a repeated one is its
    first occurrence)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        return local_to_utc(value.date(), value.time(), zone)
    return local_to_utc(value, time(0), zone)


def parse_calendar(data: bytes) -> icalendar.Calendar:
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise CalendarUnreadable(f"the file is not a valid iCalendar file ({exc})") from exc
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        raise CalendarUnreadable("the file is not an iCalendar file (no VCALENDAR)")
    return calendar


def busy_periods(
    data: bytes | icalendar.Calendar,
    *,
    window_start: datetime,
    window_end: datetime,
    zone: str,
    resource: str = "",
) -> list[BusyPeriod]:
    """Every busy occurrence of the calendar data overlapping [window_start, window_end)."""
    calendar = parse_calendar(data) if isinstance(data, bytes) else data
    tz = ZoneInfo(zone)
    try:
        occurrences = recurring_ical_events.of(calendar, skip_bad_series=True).between(
            window_start, window_end
        )
        periods = []
        for event in _limited(occurrences):
            period = _busy(event, tz, resource)
            if period is not None and period.start < window_end and window_start < period.end:
                periods.append(period)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise CalendarUnreadable(f"an event could not be read ({exc})") from exc
    return periods


def _limited(occurrences: Iterable) -> Iterable:
    for count, event in enumerate(occurrences):
        if count >= MAX_OCCURRENCES:
            raise CalendarUnreadable(
                f"the calendar has more than {MAX_OCCURRENCES} events in the booking horizon"
            )
        yield event


def _busy(event, tz: ZoneInfo, resource: str) -> BusyPeriod | None:
    if event.name != "VEVENT":
        return None
    uid = str(event.get("UID", ""))
    if uid.endswith(EVENT_UID_SUFFIX):
        return None
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return None
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return None
    start_value = event.get("DTSTART")
    if start_value is None:
        return None
    start_raw = start_value.dt
    end_value = event.get("DTEND")
    if end_value is not None:
        end_raw = end_value.dt
    elif event.get("DURATION") is not None:
        end_raw = start_raw + event.get("DURATION").dt
    elif isinstance(start_raw, datetime):
        return None  # an instant with no length holds no time
    else:
        end_raw = start_raw + timedelta(days=1)
    start, end = _instant(start_raw, tz), _instant(end_raw, tz)
    if end <= start:
        return None
    recurrence = event.get("RECURRENCE-ID")
    # Which occurrence: the one it overrides, else its own start.
    recurrence_id = (_instant(recurrence.dt, tz) if recurrence else start).strftime(
        "%Y%m%dT%H%M%SZ"
    )
    return BusyPeriod(
        uid=uid or "no-uid", start=start, end=end, recurrence_id=recurrence_id, resource=resource
    )


def appointment_calendar(appointment) -> bytes:
    """The appointment as the event SmartBook keeps in the provider's own calendar (one
    VCALENDAR object, UTC times, the appointment's stable UID and SEQUENCE)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", appointment_event_uid(appointment))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", appointment.start.astimezone(UTC))
    event.add("dtend", appointment.end.astimezone(UTC))
    client = appointment.client
    event.add("summary", f"{appointment.service.name}: {client.get_full_name() or client.email}")
    event.add("description", "Booked through SmartBook.")
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical()
