"""A client's "Tuesday mornings" are in the client's own zone, whatever the provider's: the
selectors and the service (the pure engine's side is in test_engine_client_timezone.py).

Early March 2026: London is on GMT (UTC+0), New York on EST (UTC-5), Kolkata on IST (UTC+5:30).
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

from recommendations.selectors import (
    POPULATION_CACHE_KEY,
    client_history,
    population_patterns,
    recommendation_inputs,
)
from recommendations.services import recommendation_for_client
from recommendations.tests.test_selectors import past_appointment

NEW_YORK = "America/New_York"
KOLKATA = ZoneInfo("Asia/Kolkata")


# --- the selectors ----------------------------------------------------------------------------


@pytest.fixture
def new_york_client(client_user):
    client_user.timezone = NEW_YORK
    client_user.save(update_fields=["timezone"])
    return client_user


@pytest.mark.usefixtures("frozen_now")
def test_client_history_sees_past_appointments_in_the_client_zone(
    new_york_client, service, providers, frozen_now
):
    # Tuesday 24 February 2026, 15:00 London = 10:00 New York.
    start = frozen_now - timedelta(days=6) + timedelta(hours=7)
    past_appointment(new_york_client, providers[0], service, start)
    # Tuesday 24 February 2026, 01:00 London = Monday 20:00 New York.
    past_appointment(new_york_client, providers[1], service, start - timedelta(hours=14))
    items = client_history(client=new_york_client, now=frozen_now, half_life_days=120)
    assert [(a.weekday, a.local_hour) for a in items.appointments] == [(1, 10.0), (0, 20.0)]


@pytest.mark.usefixtures("frozen_now")
def test_the_request_carries_the_client_zone(new_york_client, service, providers, frozen_now):
    inputs = recommendation_inputs(
        client=new_york_client,
        service=service,
        start=frozen_now,
        end=frozen_now + timedelta(days=2),
        now=frozen_now,
    )
    assert inputs.context.request.client_timezone == NEW_YORK


@pytest.mark.usefixtures("frozen_now")
def test_population_patterns_see_each_booking_in_its_clients_zone(
    new_york_client, service, providers, frozen_now
):
    cache.delete(POPULATION_CACHE_KEY)
    for weeks in range(1, 4):  # Tuesdays 15:00 London = 10:00 New York
        start = frozen_now - timedelta(weeks=weeks) + timedelta(days=1, hours=7)
        past_appointment(new_york_client, providers[0], service, start)
    patterns = population_patterns()
    cache.delete(POPULATION_CACHE_KEY)
    assert patterns.time_of_day_share == {"morning": 1.0}
    assert patterns.weekday_share == {1: 1.0}


@pytest.mark.usefixtures("frozen_now")
def test_new_york_history_steers_to_london_afternoons_that_are_new_york_mornings(
    new_york_client, service, providers, frozen_now
):
    for weeks in range(1, 6):  # Tuesdays 15:00 London = 10:00 New York
        start = frozen_now - timedelta(weeks=weeks) + timedelta(days=1, hours=7)
        past_appointment(new_york_client, providers[1], service, start)
    recommendation = recommendation_for_client(
        client=new_york_client,
        service=service,
        start=frozen_now,
        end=frozen_now + timedelta(days=7),
        limit=3,
    )
    top = recommendation.slots[0]
    in_new_york = top.candidate.start.astimezone(ZoneInfo(NEW_YORK))
    assert in_new_york.weekday() == 1
    assert 9 <= in_new_york.hour <= 11
    assert "matches your usual Tuesday mornings" in top.reasons


@pytest.mark.usefixtures("frozen_now")
def test_stated_afternoons_of_a_kolkata_client_are_london_mornings(
    client_user, service, providers, frozen_now
):
    client_user.timezone = "Asia/Kolkata"
    client_user.save(update_fields=["timezone"])
    client_user.profile.preferred_weekdays = [3]
    client_user.profile.preferred_times_of_day = ["afternoon"]
    client_user.profile.save()
    recommendation = recommendation_for_client(
        client=client_user, service=service, start=frozen_now, end=frozen_now + timedelta(days=7)
    )
    top = recommendation.slots[0]
    in_kolkata = top.candidate.start.astimezone(KOLKATA)
    assert in_kolkata.weekday() == 3
    assert 12 <= in_kolkata.hour < 17
    assert top.candidate.local_start.hour < 12  # a London morning (14:30 IST is 09:00 GMT)
    assert "fits your preferred Thursday afternoons" in top.reasons
