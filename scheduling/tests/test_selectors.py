"""Selectors: the right inputs for the pure core, in a constant number of queries."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from providers.models import TimeOff, WorkingHours
from providers.services import BusyPeriod, busy_source_create, external_busy_replace
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.availability import Interval, WeeklyInterval
from scheduling.models import BookingPolicy
from scheduling.selectors import (
    appointments_visible_to,
    available_slots,
    provider_schedules,
)
from scheduling.services import appointment_book, appointment_cancel
from scheduling.tests.support import at

pytestmark = pytest.mark.usefixtures("frozen_now")


def build_clinic(service, providers: int, days: int) -> None:
    for index in range(providers):
        provider = ProviderFactory(services=[service], country="GB" if index % 2 else "")
        TimeOff.objects.create(provider=provider, start=at(13, 12), end=at(13, 13))
        # Busy time imported from an external calendar: two events a day.
        source = busy_source_create(provider=provider, label="Own calendar")
        external_busy_replace(
            source_id=source.pk,
            periods=[
                BusyPeriod(
                    uid=f"e{day}-{hour}",
                    start=at(13, hour) + timedelta(days=day),
                    end=at(13, hour, 30) + timedelta(days=day),
                )
                for day in range(days)
                for hour in (14, 16)
            ],
            synced_at=at(13, 0),
        )
        for day in range(days):
            start = at(13, 9) + timedelta(days=day)
            if start.weekday() < 5:
                appointment_book(
                    client=UserFactory(), provider=provider, service=service, start=start
                )


def count_queries(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured.captured_queries)


def test_schedule_carries_hours_time_off_busy_and_day_counts(clinic_provider, service):
    appointment = appointment_book(
        client=UserFactory(), provider=clinic_provider, service=service, start=at(13, 10)
    )
    TimeOff.objects.create(provider=clinic_provider, start=at(14, 9), end=at(14, 12))
    (schedule,) = provider_schedules(providers=[clinic_provider], start=at(13, 0), end=at(15, 0))
    assert schedule.provider_id == clinic_provider.pk
    assert schedule.timezone == "Europe/London"
    assert WeeklyInterval(0, time(9), time(17)) in schedule.weekly_hours
    assert schedule.time_off == (Interval(at(14, 9), at(14, 12)),)
    assert schedule.busy == (Interval(appointment.blocked_start, appointment.blocked_end),)
    # Day counts matter only under a daily cap, and are only counted then.
    assert schedule.appointments_per_day == {}
    clinic_provider.daily_cap = 3
    (capped,) = provider_schedules(providers=[clinic_provider], start=at(13, 0), end=at(15, 0))
    assert capped.appointments_per_day == {date(2026, 1, 13): 1}
    assert capped.busy == schedule.busy


def test_cancelled_appointments_are_not_busy(clinic_provider, service, client_user):
    appointment = appointment_book(
        client=client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )
    appointment_cancel(appointment=appointment, actor=client_user)
    clinic_provider.daily_cap = 3  # day counts are kept only under a cap
    (schedule,) = provider_schedules(providers=[clinic_provider], start=at(13, 0), end=at(14, 0))
    assert schedule.busy == ()
    assert schedule.appointments_per_day == {}


def test_excluded_appointment_is_left_out(clinic_provider, service):
    appointment = appointment_book(
        client=UserFactory(), provider=clinic_provider, service=service, start=at(13, 10)
    )
    (schedule,) = provider_schedules(
        providers=[clinic_provider],
        start=at(13, 0),
        end=at(14, 0),
        exclude_appointment_id=appointment.pk,
    )
    assert schedule.busy == ()


def test_holidays_come_from_the_provider_country(service):
    provider = ProviderFactory(timezone="America/New_York", country="US", services=[service])
    (schedule,) = provider_schedules(providers=[provider], start=at(15, 0), end=at(22, 0))
    assert date(2026, 1, 19) in schedule.holidays  # Martin Luther King Jr. Day
    assert date(2026, 1, 20) not in schedule.holidays


def test_default_providers_are_the_active_ones_offering_the_service(service, clinic_provider):
    ProviderFactory(services=[service], is_active=False)
    ProviderFactory(services=[ServiceFactory()])
    schedules = provider_schedules(service=service, start=at(13, 0), end=at(14, 0))
    assert [schedule.provider_id for schedule in schedules] == [clinic_provider.pk]


def test_available_slots_respect_notice_and_sort_by_start(service, clinic_provider):
    second = ProviderFactory(services=[service])
    slots = available_slots(service=service, start=at(12, 0), end=at(13, 0))
    assert slots[0].start == at(12, 10)  # 08:00 now + 120 minutes' notice
    assert [slot.provider_id for slot in slots[:2]] == [clinic_provider.pk, second.pk]
    assert slots == sorted(slots, key=lambda slot: (slot.start, slot.provider_id))


def test_available_slots_skip_given_providers_that_do_not_qualify(service, clinic_provider):
    inactive = ProviderFactory(services=[service], is_active=False)
    elsewhere = ProviderFactory(services=[ServiceFactory()])
    slots = available_slots(
        service=service,
        start=at(13, 0),
        end=at(14, 0),
        providers=[clinic_provider, inactive, elsewhere],
    )
    assert {slot.provider_id for slot in slots} == {clinic_provider.pk}


def test_an_inactive_service_has_no_slots(service, clinic_provider):
    service.is_active = False
    service.save()
    assert available_slots(service=service, start=at(13, 0), end=at(14, 0)) == []


def test_available_slots_use_the_given_policy_and_now(service, clinic_provider):
    policy = BookingPolicy(slot_step_minutes=60, min_notice_minutes=0, horizon_days=60)
    slots = available_slots(
        service=service,
        start=at(13, 0),
        end=at(14, 0),
        policy=policy,
        now=datetime(2026, 1, 13, 11, 30, tzinfo=UTC),
    )
    assert [slot.start.hour for slot in slots] == [12, 13, 14, 15, 16]


def test_schedule_queries_do_not_grow_with_providers_or_days(service):
    build_clinic(service, providers=1, days=1)
    small = count_queries(
        lambda: provider_schedules(service=service, start=at(13, 0), end=at(14, 0))
    )
    build_clinic(service, providers=8, days=10)
    large = count_queries(
        lambda: provider_schedules(service=service, start=at(13, 0), end=at(27, 0))
    )
    assert small == large == 5


def test_available_slots_queries_are_bounded(service, django_assert_max_num_queries):
    BookingPolicy.load()
    build_clinic(service, providers=6, days=10)
    with django_assert_max_num_queries(6):
        slots = available_slots(service=service, start=at(13, 0), end=at(27, 0))
    assert len({slot.provider_id for slot in slots}) == 6
    # The imported busy time (14:00-14:30 and 16:00-16:30 of the ten days) is never offered.
    for slot in (slot for slot in slots if slot.start < at(23, 0)):
        for hour in (14, 16):
            busy_start = slot.start.replace(hour=hour, minute=0)
            assert not (slot.start < busy_start + timedelta(minutes=30) and busy_start < slot.end)


def test_visibility_by_role(service, clinic_provider, client_user, other_client_user):
    mine = appointment_book(
        client=client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )
    appointment_book(
        client=other_client_user, provider=clinic_provider, service=service, start=at(13, 11)
    )
    admin = UserFactory(role="admin")
    assert list(appointments_visible_to(user=client_user)) == [mine]
    assert appointments_visible_to(user=clinic_provider.user).count() == 2
    assert appointments_visible_to(user=admin).count() == 2
    assert appointments_visible_to(user=ProviderFactory().user).count() == 0


def test_working_hours_rows_become_weekly_intervals(service):
    provider = ProviderFactory(services=[service], hours=[])
    WorkingHours.objects.create(provider=provider, weekday=2, start_time=time(8), end_time=time(12))
    WorkingHours.objects.create(
        provider=provider, weekday=2, start_time=time(13), end_time=time(18)
    )
    (schedule,) = provider_schedules(providers=[provider], start=at(14, 0), end=at(15, 0))
    assert sorted(schedule.weekly_hours, key=lambda item: item.start) == [
        WeeklyInterval(2, time(8), time(12)),
        WeeklyInterval(2, time(13), time(18)),
    ]
