"""Each offered slot says what the client cut-off would allow once it is booked: a time that
starts within the cut-off can be booked (the notice is shorter) but not changed or cancelled
online afterwards, and the booking and reschedule pages warn before confirming it."""

import pytest

from scheduling.services import appointment_book
from scheduling.tests.support import at

pytestmark = pytest.mark.usefixtures("frozen_now")  # Monday 12 January 2026, 08:00 UTC


def _slots(api, service, day: int, **extra) -> dict[str, dict]:
    response = api.get(
        "/api/appointments/available",
        {"service": service.pk, "start": at(day, 0).isoformat(), "end": at(day + 1, 0).isoformat()}
        | extra,
    )
    assert response.status_code == 200, response.content
    return {slot["start"]: slot for slot in response.json()["slots"]}


def test_a_slot_inside_the_cutoff_is_bookable_but_not_changeable(
    client_api, clinic_provider, service
):
    today = _slots(client_api, service, 12)

    soon = today["2026-01-12T15:00:00Z"]  # 7 hours ahead: notice given, 24-hour cut-off not
    assert soon["changeable"] is False
    assert soon["change_until"] == "2026-01-11T15:00:00Z"


def test_a_slot_beyond_the_cutoff_stays_changeable_until_a_day_before(
    client_api, clinic_provider, service
):
    tomorrow = _slots(client_api, service, 13)

    assert tomorrow["2026-01-13T10:00:00Z"]["changeable"] is True
    assert tomorrow["2026-01-13T10:00:00Z"]["change_until"] == "2026-01-12T10:00:00Z"
    # 09:00 tomorrow is 25 hours away: changeable for one more hour.
    assert tomorrow["2026-01-13T09:00:00Z"]["changeable"] is True


def test_moves_and_recommendations_say_the_same(client_api, client_user, clinic_provider, service):
    mine = appointment_book(
        client=client_user, provider=clinic_provider, service=service, start=at(14, 10)
    )
    moves = _slots(client_api, service, 12, reschedule=mine.pk)
    assert moves["2026-01-12T15:00:00Z"]["changeable"] is False

    recommended = client_api.get(
        "/api/appointments/recommended",
        {"service": service.pk, "start": at(12, 0).isoformat(), "end": at(13, 0).isoformat()},
    ).json()["results"]
    assert recommended
    assert all(slot["changeable"] is False for slot in recommended)  # all within 24 hours
