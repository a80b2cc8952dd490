"""A day on which the client already holds the most appointments allowed is named, with the
rule's own words, next to the slots /available offers: the booking page shows the day as
full for them instead of letting them pick a time that "Confirm booking" would refuse."""

import pytest

from scheduling.errors import BookingRuleViolation
from scheduling.models import BookingPolicy
from scheduling.services import appointment_book
from scheduling.tests.support import at

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def one_a_day(db):
    policy = BookingPolicy.load()
    policy.max_client_appointments_per_day = 1
    policy.save()
    return policy


def _available(api, service, first_day: int, last_day: int, **extra):
    response = api.get(
        "/api/appointments/available",
        {
            "service": service.pk,
            "start": at(first_day, 0).isoformat(),
            "end": at(last_day + 1, 0).isoformat(),
            **extra,
        },
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_a_full_day_is_named_with_the_rules_reason(
    client_api, client_user, clinic_provider, service, one_a_day
):
    appointment_book(client=client_user, provider=clinic_provider, service=service, start=at(13, 9))

    data = _available(client_api, service, 13, 14)

    assert data["full_days"] == [
        {"date": "2026-01-13", "reason": _reason_of_the_rule(client_user, clinic_provider, service)}
    ]
    assert not [s for s in data["slots"] if s["start"].startswith("2026-01-13")]
    assert [s for s in data["slots"] if s["start"].startswith("2026-01-14")]


def test_a_day_is_full_in_the_clients_own_zone(
    client_api, client_user, clinic_provider, service, one_a_day
):
    client_user.timezone = "Pacific/Auckland"  # 13 hours ahead of London in January
    client_user.save()
    # 09:00 on 13 January in London is 22:00 on the 13th in Auckland.
    appointment_book(client=client_user, provider=clinic_provider, service=service, start=at(13, 9))

    data = _available(client_api, service, 12, 14)

    assert [day["date"] for day in data["full_days"]] == ["2026-01-13"]


def test_no_day_is_full_below_the_limit_or_without_one(
    client_api, client_user, clinic_provider, service
):
    appointment_book(client=client_user, provider=clinic_provider, service=service, start=at(13, 9))

    assert _available(client_api, service, 13, 13)["full_days"] == []


def test_the_appointment_being_moved_does_not_fill_its_own_day(
    client_api, client_user, clinic_provider, service, one_a_day
):
    mine = appointment_book(
        client=client_user, provider=clinic_provider, service=service, start=at(13, 9)
    )

    assert _available(client_api, service, 13, 13, reschedule=mine.pk)["full_days"] == []


def test_staff_see_the_slots_as_nobody_in_particular(
    admin_user, client_user, clinic_provider, service, one_a_day
):
    from accounts.tests.support import auth_client

    appointment_book(client=client_user, provider=clinic_provider, service=service, start=at(13, 9))

    assert _available(auth_client(admin_user), service, 13, 13)["full_days"] == []


def _reason_of_the_rule(client_user, clinic_provider, service) -> str:
    """What booking another time that day answers: the words the page must show."""
    with pytest.raises(BookingRuleViolation) as refused:
        appointment_book(
            client=client_user, provider=clinic_provider, service=service, start=at(13, 15)
        )
    assert refused.value.field == "start"
    return refused.value.message
