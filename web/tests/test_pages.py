"""The screens' own behaviour beyond rendering (see scheduling/tests/test_web_pages.py)."""

import threading

import pytest
from django.db import connection, connections

from notifications.models import CalendarFeed
from notifications.tests.support import CompetingFirstVisit


def test_a_first_visit_that_loses_the_feed_race_shows_the_winners_feed(client, client_user):
    client.force_login(client_user)
    competing = CompetingFirstVisit(client_user)

    with connection.execute_wrapper(competing):
        response = client.get("/appointments")

    assert response.status_code == 200
    assert competing.winner is not None
    (feed,) = CalendarFeed.objects.filter(user=client_user, revoked_at=None)
    assert feed == competing.winner
    assert response.context["feed_url"].endswith(feed.path)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL concurrency")
@pytest.mark.django_db(transaction=True)
def test_two_first_visits_at_once_both_get_the_one_feed(client_user):
    from django.test import Client

    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def visit() -> None:
        try:
            browser = Client()
            browser.force_login(client_user)
            barrier.wait(timeout=30)
            statuses.append(browser.get("/appointments").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=visit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [200, 200]
    assert CalendarFeed.objects.filter(user=client_user, revoked_at=None).count() == 1
