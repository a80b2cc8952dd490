"""What a provider sees: their schedule names a finished day for what it is, and the
navigation offers them their own pages, not a client's."""

from datetime import UTC, datetime

import pytest

from providers.tests.factories import ProviderFactory

# Wednesday 14 January 2026, 18:30 in London (GMT): the day's hours (09:00-17:00) are over.
AFTER_HOURS = datetime(2026, 1, 14, 18, 30, tzinfo=UTC)


@pytest.mark.django_db
def test_a_finished_working_day_is_not_called_fully_booked(client, time_machine):
    time_machine.move_to(AFTER_HOURS, tick=False)
    provider = ProviderFactory()
    client.force_login(provider.user)

    response = client.get("/schedule?view=day&date=2026-01-14")

    (today,) = response.context["columns"]
    assert today["is_over"] and not today["is_past"]
    page = response.content.decode()
    assert "Working day over" in page
    assert "Fully booked" not in page


@pytest.mark.django_db
def test_a_day_still_to_come_without_free_time_is_fully_booked_not_over(client, time_machine):
    time_machine.move_to(AFTER_HOURS, tick=False)
    provider = ProviderFactory()
    client.force_login(provider.user)

    (tomorrow,) = client.get("/schedule?view=day&date=2026-01-15").context["columns"]

    assert tomorrow["works"] and not tomorrow["is_over"]


@pytest.mark.django_db
def test_providers_are_not_offered_booking_or_a_clients_appointments(client):
    provider = ProviderFactory()
    client.force_login(provider.user)

    page = client.get("/schedule").content.decode()
    nav = page.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]

    assert 'href="/schedule"' in nav
    assert 'href="/book"' not in nav
    assert 'href="/appointments"' not in nav


def test_clients_keep_book_and_my_appointments(client, client_user):
    client.force_login(client_user)

    nav = client.get("/").content.decode().split('<nav class="site-nav"', 1)[1].split("</nav>")[0]

    assert 'href="/book"' in nav and 'href="/appointments"' in nav


@pytest.mark.django_db
def test_the_home_page_sends_a_provider_to_their_schedule(client):
    provider = ProviderFactory()
    client.force_login(provider.user)

    hero = client.get("/").content.decode().split('class="hero"', 1)[1].split("</section>")[0]

    assert 'href="/schedule"' in hero and 'href="/book"' not in hero


@pytest.mark.django_db
def test_a_group_session_is_one_entry_listing_its_attendees(client, frozen_now):
    from accounts.tests.factories import UserFactory
    from providers.tests.factories import ServiceFactory
    from scheduling.services import appointment_book, appointment_cancel

    group = ServiceFactory(name="Back class", duration_minutes=60, capacity=5)
    provider = ProviderFactory(services=[group])
    start = datetime(2026, 1, 13, 10, tzinfo=UTC)
    people = [UserFactory(first_name=name, last_name="Tester") for name in ("Ana", "Bo", "Cy")]
    seats = [
        appointment_book(client=who, provider=provider, service=group, start=start)
        for who in people
    ]
    appointment_cancel(appointment=seats[2], actor=people[2])
    client.force_login(provider.user)

    response = client.get("/schedule?view=day&date=2026-01-13")

    (day,) = response.context["columns"]
    (entry,) = [e for e in day["entries"] if e["kind"] != "free"]
    assert entry["kind"] == "session" and entry["taken"] == 2
    page = response.content.decode()
    assert page.count('data-session-id="') == 1
    assert "2 of 5 seats taken" in page
    for who in ("Ana Tester", "Bo Tester", "Cy Tester"):
        assert who in page
    assert "Cancelled" in page.split("Cy Tester", 1)[1].split("</li>", 1)[0]


@pytest.mark.django_db
def test_a_seats_page_says_how_full_the_class_is_not_who_attends(client, frozen_now):
    from accounts.tests.factories import UserFactory
    from providers.tests.factories import ServiceFactory
    from scheduling.services import appointment_book

    group = ServiceFactory(name="Back class", duration_minutes=60, capacity=5)
    provider = ProviderFactory(services=[group])
    start = datetime(2026, 1, 13, 10, tzinfo=UTC)
    mine, theirs = (
        appointment_book(
            client=UserFactory(first_name=name), provider=provider, service=group, start=start
        )
        for name in ("Mina", "Other")
    )
    client.force_login(mine.client)

    page = client.get(f"/appointments/{mine.pk}").content.decode()

    seats = page.split('id="session-seats">', 1)[1].split("</dd>", 1)[0]
    assert "2 of 5 seats taken" in seats
    assert theirs.client.email not in page and "Other" not in page
    assert client.get(f"/appointments/{theirs.pk}").status_code == 404
