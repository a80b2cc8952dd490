from datetime import timedelta

import pytest

from recommendations.selectors import (
    client_history,
    recommendation_inputs,
)
from recommendations.services import recommendation_for_client
from scheduling.models import Appointment, AppointmentStatus, BookingPolicy
from scheduling.selectors import available_slots
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.usefixtures("frozen_now")


def past_appointment(client, provider, service, start, *, booked_days_before=7):
    appointment = AppointmentFactory(
        client=client,
        provider=provider,
        service=service,
        start=start,
        status=AppointmentStatus.COMPLETED,
    )
    Appointment.objects.filter(pk=appointment.pk).update(
        created_at=start - timedelta(days=booked_days_before)
    )
    return appointment


def test_candidates_are_exactly_the_slots_available_to_this_client(
    client_user, service, providers, frozen_now
):
    start, end = frozen_now, frozen_now + timedelta(days=10)
    AppointmentFactory(
        client=providers[0].user,
        provider=providers[0],
        service=service,
        start=frozen_now + timedelta(days=1, hours=3),
    )
    own = AppointmentFactory(
        client=client_user,
        provider=providers[1],
        service=service,
        start=frozen_now + timedelta(days=2, hours=3),
    )
    expected = available_slots(
        service=service, start=start, end=end, now=frozen_now, client=client_user
    )
    inputs = recommendation_inputs(
        client=client_user, service=service, start=start, end=end, now=frozen_now
    )
    got = [(c.provider_id, c.start) for c in inputs.candidates]
    assert got == [(slot.provider_id, slot.start) for slot in expected]
    assert len(got) > 100
    # The client's own appointment blocks every provider at that time, not only its own.
    assert not any(own.start < c.end and c.start < own.end for c in inputs.candidates)


def test_client_history_reads_weekday_hour_provider_and_lead_time(
    client_user, service, providers, frozen_now
):
    # Tuesday 24 February 2026, 10:00 London = 10:00 UTC.
    start = frozen_now - timedelta(days=6) + timedelta(hours=2)
    past_appointment(client_user, providers[0], service, start, booked_days_before=5)
    (item,) = client_history(client=client_user, now=frozen_now, half_life_days=120).appointments
    assert item.weekday == 1
    assert item.local_hour == 10.0
    assert item.provider_id == providers[0].pk
    assert item.lead_time_days == pytest.approx(5)


def test_history_steers_the_recommendation_to_the_usual_tuesday_mornings(
    client_user, service, providers, frozen_now
):
    for weeks in range(1, 6):
        start = frozen_now - timedelta(weeks=weeks) + timedelta(days=1, hours=2)  # Tue 10:00
        past_appointment(client_user, providers[1], service, start)
    recommendation = recommendation_for_client(
        client=client_user,
        service=service,
        start=frozen_now,
        end=frozen_now + timedelta(days=7),
        limit=3,
    )
    top = recommendation.slots[0]
    assert top.candidate.local_start.weekday() == 1
    assert 9 <= top.candidate.local_start.hour <= 11
    assert top.candidate.provider_id == providers[1].pk
    assert "matches your usual Tuesday mornings" in top.reasons


def test_stated_preferences_steer_a_new_client(client_user, service, providers, frozen_now):
    client_user.profile.preferred_weekdays = [3]
    client_user.profile.preferred_times_of_day = ["afternoon"]
    client_user.profile.save()
    recommendation = recommendation_for_client(
        client=client_user, service=service, start=frozen_now, end=frozen_now + timedelta(days=7)
    )
    top = recommendation.slots[0]
    assert top.candidate.local_start.weekday() == 3
    assert top.candidate.local_start.hour >= 12
    assert "fits your preferred Thursday afternoons" in top.reasons


def test_query_count_does_not_grow_with_providers_or_slots(
    client_user, service, providers, frozen_now, django_assert_max_num_queries
):
    from providers.tests.factories import ProviderFactory

    def run(days):
        return recommendation_inputs(
            client=client_user,
            service=service,
            start=frozen_now,
            end=frozen_now + timedelta(days=days),
            now=frozen_now,
        )

    run(3)  # warm the settings rows and caches
    # 14: the schedules read external calendars' busy time too (one query for all providers),
    # and the client's provider wishes (one query).
    with django_assert_max_num_queries(14):
        run(3)
    for _ in range(4):
        ProviderFactory(services=[service])
    with django_assert_max_num_queries(14):
        inputs = run(14)
    assert len(inputs.context.providers) == 6


def test_times_the_client_already_holds_are_not_recommended(
    client_user, service, providers, frozen_now
):
    held_start = frozen_now + timedelta(days=1, hours=2)  # Tuesday 10:00
    AppointmentFactory(client=client_user, provider=providers[0], service=service, start=held_start)
    inputs = recommendation_inputs(
        client=client_user,
        service=service,
        start=frozen_now,
        end=frozen_now + timedelta(days=3),
        now=frozen_now,
    )
    starts = {c.start for c in inputs.candidates}
    assert held_start not in starts  # with the other provider, too
    assert held_start - timedelta(minutes=15) not in starts
    assert held_start + timedelta(minutes=30) in starts


def test_days_at_the_clients_daily_limit_are_not_recommended(
    client_user, service, providers, frozen_now
):
    BookingPolicy.objects.update_or_create(pk=1, defaults={"max_client_appointments_per_day": 1})
    held_start = frozen_now + timedelta(days=1, hours=2)
    AppointmentFactory(client=client_user, provider=providers[0], service=service, start=held_start)
    inputs = recommendation_inputs(
        client=client_user,
        service=service,
        start=frozen_now,
        end=frozen_now + timedelta(days=3),
        now=frozen_now,
    )
    days = {c.start.date() for c in inputs.candidates}
    assert held_start.date() not in days
    assert (held_start + timedelta(days=1)).date() in days
