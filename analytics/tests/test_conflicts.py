"""Detection of appointments that no longer fit their provider's schedule."""

from datetime import UTC, date, datetime, time

from analytics.selectors import conflicting_appointments
from analytics.tests.support import at
from providers.models import TimeOff, WorkingHours
from scheduling.availability import Interval, ProviderSchedule, WeeklyInterval
from scheduling.rules import HOLIDAY, OUTSIDE_HOURS, TIME_OFF, working_conflict
from scheduling.tests.factories import AppointmentFactory

LONDON_9_TO_17 = ProviderSchedule(
    provider_id=1,
    timezone="Europe/London",
    weekly_hours=tuple(WeeklyInterval(day, time(9), time(17)) for day in range(5)),
)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def one(start: datetime, end: datetime, schedule: ProviderSchedule = LONDON_9_TO_17):
    return working_conflict(schedule, Interval(start, end))


def test_appointment_inside_hours_fits():
    assert one(utc(3, 18, 9), utc(3, 18, 9, 30)) is None
    assert one(utc(3, 18, 16, 30), utc(3, 18, 17)) is None  # ends exactly at closing


def test_appointment_crossing_closing_time_or_on_a_day_off_conflicts():
    assert one(utc(3, 18, 16, 45), utc(3, 18, 17, 15)) == OUTSIDE_HOURS
    assert one(utc(3, 21, 10), utc(3, 21, 10, 30)) == OUTSIDE_HOURS  # Saturday


def test_hours_are_local_time_across_dst():
    # After 29 March London is UTC+1: 09:00 local is 08:00 UTC, 17:00 local is 16:00 UTC.
    assert one(utc(4, 1, 8), utc(4, 1, 8, 30)) is None
    assert one(utc(4, 1, 16), utc(4, 1, 16, 30)) == OUTSIDE_HOURS


def test_time_off_and_holidays_conflict():
    with_time_off = ProviderSchedule(
        provider_id=1,
        timezone="Europe/London",
        weekly_hours=LONDON_9_TO_17.weekly_hours,
        time_off=(Interval(utc(3, 18, 12), utc(3, 18, 14)),),
        holidays=frozenset({date(2026, 3, 19)}),
    )
    assert one(utc(3, 18, 13, 30), utc(3, 18, 14, 30), with_time_off) == TIME_OFF
    assert one(utc(3, 18, 14), utc(3, 18, 14, 30), with_time_off) is None  # touching is fine
    assert one(utc(3, 19, 10), utc(3, 19, 10, 30), with_time_off) == HOLIDAY


def test_detection_after_staff_change_working_hours(clinic):
    fits = AppointmentFactory(
        client=clinic["ann"], provider=clinic["a"], service=clinic["short"], start=at(18, 15)
    )
    assert conflicting_appointments() == []
    WorkingHours.objects.filter(provider=clinic["a"], weekday=2).update(
        start_time=time(9), end_time=time(12)
    )
    rows = conflicting_appointments()
    assert [(row.appointment.pk, row.reason) for row in rows] == [(fits.pk, OUTSIDE_HOURS)]


def test_detection_of_new_time_off(clinic):
    appointment = AppointmentFactory(
        client=clinic["bob"], provider=clinic["b"], service=clinic["long"], start=at(20, 10)
    )
    TimeOff.objects.create(provider=clinic["b"], start=at(20, 0), end=at(21, 0))
    assert [(r.appointment.pk, r.reason) for r in conflicting_appointments()] == [
        (appointment.pk, TIME_OFF)
    ]


def test_past_cancelled_and_closed_appointments_are_not_conflicts(clinic):
    WorkingHours.objects.filter(provider=clinic["a"]).delete()  # A no longer works at all
    # The fixture's past appointments of A and a cancelled future one are left alone.
    AppointmentFactory(
        client=clinic["ann"],
        provider=clinic["a"],
        service=clinic["short"],
        start=at(18, 15),
        status="cancelled",
    )
    assert conflicting_appointments() == []
    booked = AppointmentFactory(
        client=clinic["ann"], provider=clinic["a"], service=clinic["short"], start=at(18, 16)
    )
    assert [row.appointment.pk for row in conflicting_appointments()] == [booked.pk]


def test_conflict_detection_query_count_is_constant(clinic, django_assert_max_num_queries):
    for day in (17, 18, 19, 20):
        AppointmentFactory(
            client=clinic["ann"], provider=clinic["a"], service=clinic["short"], start=at(day, 18)
        )
    with django_assert_max_num_queries(5):
        assert len(conflicting_appointments()) == 4
