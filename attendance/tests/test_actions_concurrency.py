"""Races of acting on the risk, on PostgreSQL: two release sweeps, two "I can't make it"
clicks, a click against a release, two standby sweeps; threads released together behind a
barrier, each on its own connection, with real commits."""

from datetime import date, time

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from attendance import actions
from attendance.models import RiskLevel, RiskScore
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.errors import InvalidTransition
from scheduling.models import AppointmentStatus, BookingPolicy
from scheduling.services import appointment_book
from scheduling.tests.support import at
from waitlist.errors import LinkUsed
from waitlist.models import StandbyPlace
from waitlist.tests.factories import WaitlistEntryFactory, WaitlistRangeFactory
from waitlist.tests.support import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("frozen_now"),
]


@pytest.fixture
def risky(db):
    """A high-risk appointment on Wednesday 14 January, 10:00 UTC; confirm-or-release on."""
    policy = BookingPolicy.load()
    policy.min_notice_minutes = 60
    policy.confirm_or_release = True
    policy.save()
    service = ServiceFactory(duration_minutes=30)
    provider = ProviderFactory(services=[service])
    appointment = appointment_book(
        client=UserFactory(role="client"), provider=provider, service=service, start=at(14, 10)
    )
    RiskScore.objects.update_or_create(
        appointment=appointment, defaults={"probability": 0.6, "level": RiskLevel.HIGH}
    )
    return appointment


def test_two_release_sweeps_at_once_release_once(risky, time_machine):
    time_machine.move_to(at(13, 10, 1), tick=False)
    told = {risky.pk: at(13, 10)}
    done, failed = race([lambda: actions.appointments_release(now=timezone.now(), told=told)] * 2)
    assert failed == []
    assert sorted(done, key=len) == [[], [risky.pk]]
    risky.refresh_from_db()
    assert risky.status == AppointmentStatus.CANCELLED
    assert risky.cancellation_reason == actions.RELEASE_REASON


def test_two_cannot_come_clicks_at_once_cancel_once(risky):
    def click():
        appointment = actions.appointment_for_answer(
            actions.answer_token(risky), now=timezone.now()
        )
        return actions.attendance_cannot_come(appointment=appointment).status

    done, failed = race([click, click])
    assert done == [AppointmentStatus.CANCELLED]
    # The other click is refused: as a used link when it reads the appointment after the
    # first committed, or by the booking service when both read it before.
    assert len(failed) == 1 and isinstance(failed[0], LinkUsed | InvalidTransition)


def test_coming_against_a_release_leaves_one_answer(risky, time_machine):
    time_machine.move_to(at(13, 10, 1), tick=False)
    told = {risky.pk: at(13, 10)}
    race(
        [
            lambda: actions.attendance_coming(appointment=risky),
            lambda: actions.appointments_release(now=timezone.now(), told=told),
        ]
    )
    risky.refresh_from_db()
    if risky.status == AppointmentStatus.CANCELLED:
        assert risky.confirmed_at is None
    else:
        assert risky.status == AppointmentStatus.CONFIRMED
        assert risky.confirmed_at is not None


def test_two_standby_sweeps_at_once_give_one_place(risky, time_machine):
    for _ in range(2):
        entry = WaitlistEntryFactory(service=risky.service, short_notice=True)
        WaitlistRangeFactory(
            entry=entry,
            first_date=date(2026, 1, 14),
            last_date=date(2026, 1, 14),
            earliest=time(9),
            latest=time(12),
        )
    time_machine.move_to(at(12, 11), tick=False)
    done, failed = race([lambda: actions.standby_places_give(now=timezone.now())] * 2)
    assert failed == []
    assert sorted(done) == [0, 1]
    assert StandbyPlace.objects.filter(appointment=risky).count() == 1
