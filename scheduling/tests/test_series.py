"""Recurring series, booked, moved and cancelled through `scheduling.series`: every
occurrence decided by the one rules engine, each write all or nothing."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling import series as series_services
from scheduling.errors import BookingRuleViolation, InvalidTransition, SlotUnavailable
from scheduling.models import (
    Appointment,
    AppointmentChange,
    AppointmentSeries,
    AppointmentStatus,
    BookingPolicy,
)
from scheduling.recurrence import Frequency, Recurrence
from scheduling.rules import RefusalKind
from scheduling.services import appointment_book
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

NEW_YORK = ZoneInfo("America/New_York")
# Monday 23 February 2026, 09:00 in New York; clocks go forward on Sunday 8 March.
FIRST = datetime(2026, 2, 23, 9, 0, tzinfo=NEW_YORK)
WEEKLY_4 = Recurrence(Frequency.WEEKLY, count=4)


@pytest.fixture
def service(db):
    return ServiceFactory(duration_minutes=30)


@pytest.fixture
def ny_provider(db, service):
    return ProviderFactory(services=[service], timezone="America/New_York")


def week(n: int, hour: int = 9, minute: int = 0) -> datetime:
    """The n-th Monday of the series (0: the first) at a New York wall-clock time."""
    day = FIRST.date() + timedelta(weeks=n)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK)


def local_times(appointments) -> list[str]:
    return [a.start.astimezone(NEW_YORK).strftime("%m-%d %H:%M") for a in appointments]


def book_series(client, provider, service, **kwargs):
    kwargs.setdefault("first_start", FIRST)
    kwargs.setdefault("rule", WEEKLY_4)
    return series_services.series_book(
        client=client, provider=provider, service=service, actor=client, **kwargs
    )


def test_weekly_series_across_new_yorks_dst_change_books_nine_local_each_week(
    client_user, ny_provider, service
):
    booked = book_series(client_user, ny_provider, service)
    occurrences = list(booked.series.occurrences.order_by("start"))
    assert local_times(occurrences) == ["02-23 09:00", "03-02 09:00", "03-09 09:00", "03-16 09:00"]
    assert [a.start.hour for a in occurrences] == [14, 14, 13, 13]  # UTC
    assert all(a.series_original_start == a.start for a in occurrences)
    assert booked.series.timezone == "America/New_York"
    # The last two lie past the 60-day horizon of single bookings: a series may reach further.
    assert occurrences[-1].start > FIRST + timedelta(days=20)


@pytest.fixture
def conflict(ny_provider, service):
    """Someone else holds week 2 (9 March) at 09:00."""
    return appointment_book(
        client=UserFactory(role="client"), provider=ny_provider, service=service, start=week(2)
    )


def test_check_shows_the_conflicting_week_with_the_closest_alternatives(
    client_user, ny_provider, service, conflict
):
    plan = series_services.series_check(
        client=client_user, provider=ny_provider, service=service, first_start=FIRST, rule=WEEKLY_4
    )
    assert [check.available for check in plan.checks] == [True, True, False, True]
    refused = plan.checks[2]
    assert refused.refusal.kind == RefusalKind.TAKEN
    assert refused.start == week(2)
    # The closest offered starts that day: right after the taken half hour.
    assert [s.local_start.strftime("%H:%M") for s in refused.alternatives] == [
        "09:30",
        "09:45",
        "10:00",
    ]
    assert Appointment.objects.count() == 1  # a check writes nothing


def test_all_or_nothing_writes_nothing_when_one_occurrence_is_taken(
    client_user, ny_provider, service, conflict
):
    with pytest.raises(SlotUnavailable) as refused:
        book_series(client_user, ny_provider, service, mode="all")
    assert "Mon 9 Mar 2026 09:00" in refused.value.message
    assert "Nothing was booked" in refused.value.message
    assert list(Appointment.objects.all()) == [conflict]
    assert not AppointmentSeries.objects.exists()


def test_book_all_that_fit_skips_only_the_conflicting_week_when_asked(
    client_user, ny_provider, service, conflict
):
    booked = book_series(client_user, ny_provider, service, mode="available")
    assert local_times(booked.appointments) == ["02-23 09:00", "03-02 09:00", "03-16 09:00"]
    assert [a.series_original_start for a in booked.appointments] == [week(0), week(1), week(3)]


def test_a_chosen_alternative_replaces_the_conflicting_week(
    client_user, ny_provider, service, conflict
):
    booked = book_series(
        client_user, ny_provider, service, mode="all", replacements={week(2): week(2, 9, 30)}
    )
    assert local_times(booked.appointments) == [
        "02-23 09:00",
        "03-02 09:00",
        "03-09 09:30",
        "03-16 09:00",
    ]
    assert booked.appointments[2].series_original_start == week(2)


def test_a_replacement_for_a_start_outside_the_series_is_refused(client_user, ny_provider, service):
    with pytest.raises(BookingRuleViolation) as refused:
        book_series(client_user, ny_provider, service, replacements={week(9): week(9, 10)})
    assert refused.value.field == "replacements"
    assert not Appointment.objects.exists()


def test_two_occurrences_of_one_series_cannot_take_the_same_time(client_user, ny_provider, service):
    # Week 1 moved onto week 2's own time: the second asked is refused (the first counts).
    plan = series_services.series_check(
        client=client_user,
        provider=ny_provider,
        service=service,
        first_start=FIRST,
        rule=WEEKLY_4,
        replacements={week(1): week(2)},
    )
    assert [check.available for check in plan.checks] == [True, True, False, True]


def test_every_refusal_keeps_the_rules_engines_words(client_user, ny_provider, service):
    # Fridays are worked but weekends are not: a series on a Saturday is refused each week.
    saturday = datetime(2026, 2, 28, 9, 0, tzinfo=NEW_YORK)
    plan = series_services.series_check(
        client=client_user,
        provider=ny_provider,
        service=service,
        first_start=saturday,
        rule=Recurrence(Frequency.WEEKLY, count=2),
    )
    assert [c.refusal.rule for c in plan.checks] == ["provider_working", "provider_working"]
    # The nearest day with time: the Friday before (a tie with Monday goes to the earlier).
    assert plan.checks[0].alternatives[0].local_start.strftime("%a %H:%M") == "Fri 09:00"


def test_the_first_occurrence_must_lie_within_the_normal_horizon(
    client_user, ny_provider, service, frozen_now
):
    far = datetime(2026, 4, 6, 9, 0, tzinfo=NEW_YORK)  # past the 60-day horizon
    with pytest.raises(BookingRuleViolation) as refused:
        book_series(client_user, ny_provider, service, first_start=far)
    assert "60 days ahead" in refused.value.message


def test_occurrences_past_the_series_horizon_are_refused(client_user, ny_provider, service):
    policy = BookingPolicy.load()
    policy.series_horizon_days = 60
    policy.save()
    plan = series_services.series_check(
        client=client_user,
        provider=ny_provider,
        service=service,
        first_start=FIRST,
        rule=WEEKLY_4,
    )
    assert [c.refusal.rule if c.refusal else None for c in plan.checks] == [
        None,
        None,
        None,
        "within_horizon",
    ]


def test_series_policy_refuses_excluded_services_and_long_series(client_user, ny_provider, service):
    policy = BookingPolicy.load()
    policy.series_max_occurrences = 3
    policy.save()
    with pytest.raises(BookingRuleViolation) as refused:
        book_series(client_user, ny_provider, service)
    assert refused.value.field == "count"
    policy.series_max_occurrences = 52
    policy.save()
    policy.series_excluded_services.add(service)
    with pytest.raises(BookingRuleViolation) as refused:
        book_series(client_user, ny_provider, service)
    assert refused.value.field == "service"
    assert not Appointment.objects.exists()


def test_checking_and_booking_read_a_constant_number_of_queries(client_user, ny_provider, service):
    BookingPolicy.load()  # the row exists, as in production

    def queries(count: int) -> int:
        rule = Recurrence(Frequency.WEEKLY, count=count)
        with CaptureQueriesContext(connection) as captured:
            booked = book_series(client_user, ny_provider, service, rule=rule)
        assert len(booked.appointments) == count
        Appointment.objects.filter(series=booked.series).update(status=AppointmentStatus.CANCELLED)
        return len(captured)

    assert queries(2) == queries(40)


@pytest.fixture
def booked(client_user, ny_provider, service):
    return book_series(client_user, ny_provider, service).appointments


def test_moving_this_and_following_moves_only_those(client_user, booked):
    moved = series_services.series_move(
        appointment=booked[2], new_start=week(2, 11), scope="following", actor=client_user
    )
    assert [a.pk for a in moved] == [booked[2].pk, booked[3].pk]
    everyone = Appointment.objects.filter(series=booked[0].series).order_by("series_original_start")
    assert local_times(everyone) == ["02-23 09:00", "03-02 09:00", "03-09 11:00", "03-16 11:00"]
    # Each moved occurrence has its own history; the others none.
    changes = AppointmentChange.objects.order_by("appointment__start")
    assert [(c.appointment_id, c.old_start) for c in changes] == [
        (booked[2].pk, week(2)),
        (booked[3].pk, week(3)),
    ]
    assert booked[0].series.__class__.objects.get().sequence == 1


def test_moving_all_is_refused_whole_when_one_new_time_is_taken(
    client_user, ny_provider, service, booked
):
    # Week 3 lies past the normal horizon: arranged straight in the calendar.
    AppointmentFactory(provider=ny_provider, service=service, start=week(3, 10))
    with pytest.raises(SlotUnavailable):
        series_services.series_move(
            appointment=booked[0], new_start=week(0, 10), scope="all", actor=client_user
        )
    assert not AppointmentChange.objects.exists()
    assert local_times(Appointment.objects.filter(series=booked[0].series)) == [
        "02-23 09:00",
        "03-02 09:00",
        "03-09 09:00",
        "03-16 09:00",
    ]


def test_cancel_one_following_or_all_keeps_each_row(client_user, booked):
    series_services.series_cancel(appointment=booked[1], scope="this", actor=client_user)
    statuses = lambda: list(  # noqa: E731
        Appointment.objects.filter(series=booked[0].series)
        .order_by("start")
        .values_list("status", flat=True)
    )
    assert statuses() == ["booked", "cancelled", "booked", "booked"]
    series_services.series_cancel(
        appointment=booked[2], scope="following", actor=client_user, reason="moving away"
    )
    assert statuses() == ["booked", "cancelled", "cancelled", "cancelled"]
    series_services.series_cancel(appointment=booked[0], scope="all", actor=client_user)
    assert statuses() == ["cancelled"] * 4
    assert Appointment.objects.get(pk=booked[3].pk).cancellation_reason == "moving away"
    with pytest.raises(InvalidTransition):
        series_services.series_cancel(appointment=booked[0], scope="all", actor=client_user)


def test_another_client_cannot_change_the_series(booked, other_client_user):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        series_services.series_cancel(appointment=booked[0], scope="all", actor=other_client_user)
    assert not Appointment.objects.filter(status=AppointmentStatus.CANCELLED).exists()


def test_scope_on_an_appointment_outside_any_series_is_refused(client_user, ny_provider, service):
    single = appointment_book(
        client=client_user, provider=ny_provider, service=service, start=FIRST
    )
    with pytest.raises(BookingRuleViolation) as refused:
        series_services.series_cancel(appointment=single, scope="all", actor=client_user)
    assert refused.value.field == "scope"
