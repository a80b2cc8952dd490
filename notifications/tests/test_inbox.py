"""The in-app inbox and calendar feed services (notifications/services/inbox.py)."""

import pytest
from django.db import connection

from notifications import services
from notifications.models import CalendarFeed
from notifications.tests.support import CompetingFirstVisit

pytestmark = pytest.mark.django_db


def test_the_first_feed_request_makes_the_feed_and_later_ones_return_it(client_user):
    first = services.calendar_feed_get_or_create(user=client_user)

    assert services.calendar_feed_get_or_create(user=client_user) == first
    assert CalendarFeed.objects.filter(user=client_user, revoked_at=None).count() == 1


def test_a_first_feed_request_that_loses_the_race_returns_the_winners_feed(client_user):
    competing = CompetingFirstVisit(client_user)

    with connection.execute_wrapper(competing):
        feed = services.calendar_feed_get_or_create(user=client_user)

    assert competing.winner is not None  # the competitor inserted between our read and insert
    assert feed == competing.winner
    assert list(CalendarFeed.objects.filter(user=client_user, revoked_at=None)) == [feed]
