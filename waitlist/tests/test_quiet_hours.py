"""No offers while a client sleeps: a hold that runs out overnight is lost to them and, for
its length, to everyone else. The time stays open and is offered when their morning comes."""

from datetime import time

import pytest
from django.core.exceptions import ValidationError

from accounts.tests.factories import UserFactory
from scheduling.models import BookingPolicy
from scheduling.services import appointment_book, appointment_cancel
from scheduling.tests.support import at
from waitlist import tasks
from waitlist.models import Offer
from waitlist.tests.support import days

pytestmark = pytest.mark.usefixtures("frozen_now", "policy")


@pytest.fixture
def taken(other_client_user, clinic_provider, service):
    """Tuesday 10:00 London, booked by someone else."""
    return appointment_book(
        client=other_client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )


def cancel_at(instant, taken, committed, time_machine):
    time_machine.move_to(instant, tick=False)
    with committed():
        appointment_cancel(appointment=taken, actor=None, reason="ill")


def sweep_at(instant, committed, time_machine):
    time_machine.move_to(instant, tick=False)
    with committed():
        return tasks.sweep_waitlist.run()


def test_time_freed_at_night_waits_for_the_clients_morning(
    client_user, taken, join, committed, time_machine
):
    entry = join(client_user)

    cancel_at(at(12, 21, 30), taken, committed, time_machine)
    assert not Offer.objects.exists()
    assert sweep_at(at(13, 7, 58), committed, time_machine)["offers_made"] == 0

    assert sweep_at(at(13, 8), committed, time_machine)["offers_made"] == 1
    offer = Offer.objects.get()
    assert (offer.entry, offer.start, offer.created_at) == (entry, at(13, 10), at(13, 8))


def test_quiet_hours_are_the_clients_own_and_the_time_goes_to_someone_awake(
    client_user, taken, join, committed, time_machine
):
    # 14:00 in London is 23:00 in Tokyo, where 10:00 London is 19:00.
    tokyo = UserFactory(role="client", timezone="Asia/Tokyo")
    join(tokyo, ranges=[days(at(13, 0).date(), at(13, 0).date(), time(19), time(19, 30))])
    time_machine.move_to(at(12, 9), tick=False)
    london = join(client_user)

    cancel_at(at(12, 14), taken, committed, time_machine)

    assert Offer.objects.get().entry == london


def test_the_last_minute_before_quiet_hours_still_offers(
    client_user, taken, join, committed, time_machine
):
    join(client_user)

    cancel_at(at(12, 20, 59), taken, committed, time_machine)

    assert Offer.objects.count() == 1


def test_without_quiet_hours_offers_go_out_at_any_hour(
    client_user, taken, join, committed, time_machine, policy
):
    policy.offer_quiet_from = policy.offer_quiet_until = None
    policy.save()
    join(client_user)

    cancel_at(at(13, 3), taken, committed, time_machine)

    assert Offer.objects.get().created_at == at(13, 3)


@pytest.mark.parametrize(
    ("start", "end", "local", "quiet"),
    [
        (time(21), time(8), time(20, 59), False),
        (time(21), time(8), time(21), True),
        (time(21), time(8), time(0), True),
        (time(21), time(8), time(7, 59), True),
        (time(21), time(8), time(8), False),
        (time(13), time(14), time(12, 59), False),
        (time(13), time(14), time(13, 30), True),
        (time(13), time(14), time(14), False),
        (time(9), time(9), time(9), False),
        (None, None, time(3), False),
    ],
)
def test_offer_quiet_at(start, end, local, quiet):
    policy = BookingPolicy(offer_quiet_from=start, offer_quiet_until=end)
    assert policy.offer_quiet_at(local) is quiet


@pytest.mark.parametrize("missing", ["offer_quiet_from", "offer_quiet_until"])
def test_quiet_hours_need_both_ends(policy, missing):
    setattr(policy, missing, None)
    with pytest.raises(ValidationError) as exc_info:
        policy.full_clean()
    assert list(exc_info.value.message_dict) == [missing]
    assert "both ends" in exc_info.value.message_dict[missing][0]


def test_the_default_quiet_hours_are_the_evening_and_the_night():
    policy = BookingPolicy()
    assert (policy.offer_quiet_from, policy.offer_quiet_until) == (time(21), time(8))
