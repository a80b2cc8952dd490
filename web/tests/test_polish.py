"""Small things a newcomer notices: prices with their currency, a cancelled appointment that
offers no calendar file, a cancel that asks first and says it is done, a first visit that is
not "Welcome back", and an admin that lists the latest appointments first in the staff
member's zone, with the dashboard's period filled in and named once."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from accounts.tests.factories import UserFactory
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.services import appointment_book, appointment_cancel

MONDAY = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)


@pytest.fixture
def booked(db, client_user, time_machine):
    time_machine.move_to(MONDAY, tick=False)
    service = ServiceFactory(name="Knee assessment", price=50)
    provider = ProviderFactory(services=[service])
    return appointment_book(
        client=client_user,
        provider=provider,
        service=service,
        start=datetime(2026, 1, 14, 10, 0, tzinfo=UTC),
    )


def test_prices_carry_the_currency(client, client_user, booked):
    client.force_login(client_user)
    assert "· £50.00" in client.get(f"/appointments/{booked.pk}").content.decode()
    assert "· £50.00" in client.get("/").content.decode()
    book = client.get("/book").content.decode()
    assert 'data-price="£50.00"' in book


@override_settings(CURRENCY="CHF")
def test_a_currency_without_a_symbol_is_named(client, client_user, booked):
    client.force_login(client_user)
    assert "· 50.00 CHF" in client.get(f"/appointments/{booked.pk}").content.decode()


def test_a_cancelled_appointment_offers_no_calendar_file_and_says_it_is_cancelled(
    client, client_user, booked
):
    client.force_login(client_user)
    assert 'id="ics-link"' in client.get(f"/appointments/{booked.pk}").content.decode()

    appointment_cancel(appointment=booked, actor=client_user, reason="Feeling better")
    page = client.get(f"/appointments/{booked.pk}?cancelled=1").content.decode()

    assert 'id="ics-link"' not in page and "/ics" not in page
    assert 'id="cancelled-banner"' in page and "Your appointment is cancelled." in page


def test_cancelling_asks_before_it_cancels(client, client_user, booked):
    client.force_login(client_user)
    page = client.get(f"/appointments/{booked.pk}").content.decode()

    assert re.search(r'<div id="cancel-confirm"[^>]*hidden>', page)
    assert "Yes, cancel it" in page and "No, keep it" in page
    assert 'id="cancelled-banner"' not in page


@pytest.mark.django_db
def test_a_new_account_is_welcomed_and_a_returning_one_welcomed_back(client):
    new = UserFactory(first_name="Ada")
    new.last_login = new.date_joined + timedelta(minutes=5)
    new.save()
    client.force_login(new)
    new.last_login = new.date_joined + timedelta(minutes=5)
    new.save()
    assert "<h1>Welcome, Ada</h1>" in client.get("/").content.decode()

    returning = UserFactory(first_name="Ben")
    client.force_login(returning)
    returning.last_login = returning.date_joined + timedelta(days=3)
    returning.save()
    assert "<h1>Welcome back, Ben</h1>" in client.get("/").content.decode()


def test_a_client_who_has_booked_is_welcomed_back(client, client_user, booked):
    client.force_login(client_user)
    client_user.last_login = client_user.date_joined
    client_user.save()
    assert "Welcome back" in client.get("/").content.decode()


def test_the_admin_lists_the_latest_first_in_the_staff_members_zone(
    client, admin_user, client_user, booked
):
    later = appointment_book(
        client=client_user,
        provider=booked.provider,
        service=booked.service,
        start=datetime(2026, 1, 15, 15, 0, tzinfo=UTC),
    )
    admin_user.timezone = "America/New_York"
    admin_user.save()
    client.force_login(admin_user)

    page = client.get("/admin/scheduling/appointment/").content.decode()

    assert page.index(f"/admin/scheduling/appointment/{later.pk}/") < page.index(
        f"/admin/scheduling/appointment/{booked.pk}/"
    )
    assert "Thu 15 Jan 2026, 10:00 EST (America/New_York)" in page
    assert "Wed 14 Jan 2026, 05:00 EST (America/New_York)" in page


def test_the_dashboard_names_its_period_in_the_inputs_and_says_dashboard_once(
    client, admin_user, time_machine
):
    time_machine.move_to(MONDAY, tick=False)
    client.force_login(admin_user)

    response = client.get("/admin/")
    page = response.content.decode()
    query = response.context["analytics_query"]

    assert f'name="start" value="{query.first_day.isoformat()}"' in page
    assert f'name="end" value="{query.last_day.isoformat()}"' in page
    assert len(re.findall(r">\s*Dashboard\s*<", page)) == 1
    # A date input takes ISO dates only (the locale's 14/12/2025 left it empty), also once
    # the filters are sent.
    sent = client.get("/admin/", {"start": "2026-01-01", "end": "2026-01-10"}).content.decode()
    assert 'name="start" value="2026-01-01"' in sent
