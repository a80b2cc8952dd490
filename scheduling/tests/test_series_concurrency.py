"""Recurring series under real concurrency (PostgreSQL): series racing a series, and single
bookings racing a series, never double-book; the database's exclusion constraint has the
last word on a series' bulk insert too."""

from datetime import timedelta

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling import series as series_services
from scheduling.errors import SlotUnavailable
from scheduling.models import Appointment, AppointmentSeries
from scheduling.recurrence import Frequency, Recurrence
from scheduling.services import appointment_book
from scheduling.tests.support import at
from scheduling.tests.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks and constraints"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("frozen_now"),
]

WEEKLY_4 = Recurrence(Frequency.WEEKLY, count=4)


@pytest.fixture
def clinic():
    service = ServiceFactory(duration_minutes=30, buffer_after_minutes=10)
    provider = ProviderFactory(services=[service])
    return provider, service


def book_series(**kwargs):
    return series_services.series_book(rule=WEEKLY_4, mode="all", **kwargs)


def test_ten_clients_racing_for_one_weekly_series_one_wins_whole(clinic):
    provider, service = clinic
    clients = [UserFactory() for _ in range(10)]
    booked, failed = race(
        [
            {"client": c, "provider": provider, "service": service, "first_start": at(13, 10)}
            for c in clients
        ],
        action=book_series,
    )
    assert len(booked) == 1
    assert len(failed) == 9 and all(isinstance(exc, SlotUnavailable) for exc in failed)
    assert AppointmentSeries.objects.count() == 1
    assert Appointment.objects.count() == 4  # the losers wrote nothing


def test_single_bookings_racing_a_series_never_overlap_it(clinic):
    provider, service = clinic
    series_client, *others = [UserFactory() for _ in range(4)]
    attempts = [
        {
            "client": series_client,
            "provider": provider,
            "service": service,
            "first_start": at(13, 10),
            "kind": "series",
        },
        *(
            {
                "client": client,
                "provider": provider,
                "service": service,
                "start": at(13, 10) + timedelta(weeks=week),
                "kind": "single",
            }
            for week, client in zip((1, 2, 3), others, strict=True)
        ),
    ]

    def act(*, kind, **kwargs):
        return book_series(**kwargs) if kind == "series" else appointment_book(**kwargs)

    booked, failed = race(attempts, action=act)
    assert all(isinstance(exc, SlotUnavailable) for exc in failed)
    times = sorted(Appointment.objects.values_list("start", flat=True))
    assert len(times) == len(set(times))  # nobody shares a time
    series_won = any(isinstance(result, series_services.SeriesBooking) for result in booked)
    assert Appointment.objects.count() == (4 if series_won else 3)


def test_the_exclusion_constraint_refuses_a_series_insert_the_snapshot_missed(clinic):
    """A row the snapshot did not see (written after it was read, as a writer that skips
    the lock would) is still refused by the database: the whole series is rolled back."""
    provider, service = clinic
    client = UserFactory()
    original = series_services.booking_snapshot

    def stale_snapshot(**kwargs):
        snapshot = original(**kwargs)
        # A row lands after the snapshot was read.
        from scheduling.tests.factories import AppointmentFactory

        AppointmentFactory(provider=provider, service=service, start=at(20, 10))
        return snapshot

    series_services.booking_snapshot = stale_snapshot
    try:
        with pytest.raises(SlotUnavailable):
            book_series(client=client, provider=provider, service=service, first_start=at(13, 10))
    finally:
        series_services.booking_snapshot = original
    assert not AppointmentSeries.objects.exists()
    assert not Appointment.objects.filter(client=client).exists()
