"""Standby places: "I can come at short notice" on an entry (API, join form, entry page); who
gets the standby place for a high-risk appointment's time (the matching's own order, only a
client the booking rules would let take it); the standby client offered the time first when
the appointment is cancelled; a place whose client can no longer take it ends.

The waitlist's clinic (conftest): frozen on Monday 12 January 2026, 08:00 UTC, the provider
working 09:00-17:00 London; the appointment on Tuesday 13 January at 10:00."""

from datetime import date, time

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from providers.models import Urgency
from providers.tests.factories import ProviderFactory
from scheduling.services import appointment_book, appointment_cancel
from scheduling.tests.support import at
from waitlist import services
from waitlist.models import Offer, OfferStatus, StandbyPlace, StandbyStatus, WaitlistEntry
from waitlist.tests.support import days

pytestmark = pytest.mark.usefixtures("frozen_now", "policy")

ENTRIES = "/api/waitlist/entries"
TUESDAY = date(2026, 1, 13)


@pytest.fixture
def booked(other_client_user, clinic_provider, service, committed):
    with committed():
        return appointment_book(
            client=other_client_user, provider=clinic_provider, service=service, start=at(13, 10)
        )


def short_notice(join, client=None, **kwargs):
    return join(client or UserFactory(role="client"), short_notice=True, **kwargs)


# --- saying so ---------------------------------------------------------------------------------


def test_the_api_takes_short_notice_on_joining_and_changing(client_api, service):
    body = {
        "service": service.pk,
        "expires_on": "2026-01-31",
        "short_notice": True,
        "ranges": [
            {
                "first_date": "2026-01-13",
                "last_date": "2026-01-16",
                "earliest": "09:00",
                "latest": "12:00",
            }
        ],
    }
    created = client_api.post(ENTRIES, body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["short_notice"] is True
    entry_id = created.json()["id"]
    changed = client_api.patch(f"{ENTRIES}/{entry_id}", {"short_notice": False}, format="json")
    assert changed.status_code == 200 and changed.json()["short_notice"] is False
    assert WaitlistEntry.objects.get(pk=entry_id).short_notice is False


def test_short_notice_must_be_true_or_false(client_api, service):
    body = {
        "service": service.pk,
        "expires_on": "2026-01-31",
        "short_notice": "yes",
        "ranges": [
            {
                "first_date": "2026-01-13",
                "last_date": "2026-01-16",
                "earliest": "09:00",
                "latest": "12:00",
            }
        ],
    }
    refused = client_api.post(ENTRIES, body, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"]["short_notice"] == ["Must be true or false."]
    assert not WaitlistEntry.objects.exists()


def test_the_join_form_and_the_entry_page_take_short_notice(client, client_user, service):
    client.force_login(client_user)
    page = client.get("/waitlist/join").content.decode()
    assert 'name="short_notice"' in page and "I can come at short notice" in page
    data = {
        "service": service.pk,
        "provider": "",
        "urgency": "routine",
        "expires_on": "2026-02-01",
        "short_notice": "on",
        "ranges-TOTAL_FORMS": "1",
        "ranges-INITIAL_FORMS": "0",
        "ranges-MIN_NUM_FORMS": "1",
        "ranges-MAX_NUM_FORMS": "10",
        "ranges-0-first_date": "2026-01-13",
        "ranges-0-last_date": "2026-01-16",
        "ranges-0-earliest": "10:00",
        "ranges-0-latest": "12:00",
    }
    assert client.post("/waitlist/join", data).status_code == 302
    entry = WaitlistEntry.objects.get(client=client_user)
    assert entry.short_notice is True

    change = {key: value for key, value in data.items() if key not in ("service", "provider")}
    del change["short_notice"]  # an unticked box is not posted
    assert client.post(f"/waitlist/entries/{entry.pk}", change).status_code == 302
    entry.refresh_from_db()
    assert entry.short_notice is False


# --- who gets the place ----------------------------------------------------------------------


def test_the_place_goes_to_the_best_ranked_short_notice_entry_that_fits(
    booked, join, clinic_provider
):
    join(UserFactory(role="client"))  # not at short notice
    later = short_notice(join)
    urgent = short_notice(join, urgency=Urgency.SOON)
    short_notice(join, ranges=[days(TUESDAY, TUESDAY, time(14), time(16))])  # other hours

    place = services.standby_place(appointment=booked, now=timezone.now())

    # Urgency first, as the matching ranks: the sooner need beats the earlier join.
    assert place.entry == urgent != later
    assert place.status == StandbyStatus.WAITING
    # One per appointment: asking again gives nothing new.
    assert services.standby_place(appointment=booked, now=timezone.now()) is None
    assert StandbyPlace.objects.count() == 1


def test_a_client_the_rules_would_refuse_gets_no_place(booked, join, service, committed):
    # Busy with another provider at that very time: the client_free rule refuses them.
    busy = UserFactory(role="client")
    with committed():
        appointment_book(
            client=busy,
            provider=ProviderFactory(services=[service]),
            service=service,
            start=at(13, 10),
        )
    short_notice(join, busy)

    assert services.standby_place(appointment=booked, now=timezone.now()) is None


def test_an_entry_waits_on_one_place_at_a_time(booked, join, clinic_provider, service, committed):
    with committed():
        second = appointment_book(
            client=UserFactory(role="client"),
            provider=clinic_provider,
            service=service,
            start=at(13, 10, 30),
        )
    entry = short_notice(join, ranges=[days(TUESDAY, TUESDAY, time(10), time(11))])
    assert services.standby_place(appointment=booked, now=timezone.now()).entry == entry
    assert services.standby_place(appointment=second, now=timezone.now()) is None


# --- offered first -------------------------------------------------------------------------


def test_on_cancellation_the_standby_client_is_offered_the_time_before_anyone(
    booked, join, committed
):
    first_in_queue = join(UserFactory(role="client"), urgency=Urgency.URGENT)
    standby = short_notice(join)
    place = services.standby_place(appointment=booked, now=timezone.now())

    with committed():
        appointment_cancel(appointment=booked, actor=booked.client)

    offer = Offer.objects.get(status=OfferStatus.PENDING)
    assert (offer.entry, offer.start) == (standby, at(13, 10))
    assert offer.hold is not None
    place.refresh_from_db()
    assert (place.status, place.offer) == (StandbyStatus.OFFERED, offer)
    assert not Offer.objects.filter(entry=first_in_queue).exists()


def test_a_standby_client_who_left_loses_the_place_and_the_time_goes_to_the_queue(
    booked, join, committed
):
    queue = join(UserFactory(role="client"))
    standby = short_notice(join)
    place = services.standby_place(appointment=booked, now=timezone.now())
    with committed():
        services.entry_leave(entry=standby, client=standby.client, now=timezone.now())
        appointment_cancel(appointment=booked, actor=booked.client)

    place.refresh_from_db()
    assert place.status == StandbyStatus.ENDED
    assert Offer.objects.get(status=OfferStatus.PENDING).entry == queue


def test_staff_see_the_standby_places_in_the_admin(booked, join, client, admin_user):
    standby = short_notice(join)
    services.standby_place(appointment=booked, now=timezone.now())
    client.force_login(admin_user)

    page = client.get("/admin/waitlist/standbyplace/")

    assert page.status_code == 200
    assert str(standby) in page.content.decode()
    assert client.get("/admin/waitlist/waitlistentry/?short_notice__exact=1").status_code == 200


def test_my_waitlist_shows_where_i_am_first_in_line(booked, join, client):
    standby = short_notice(
        join,
        UserFactory(role="client", timezone="Europe/Paris"),
        ranges=[days(TUESDAY, TUESDAY, time(11), time(11, 30))],
    )
    assert services.standby_place(appointment=booked, now=timezone.now()).entry == standby
    client.force_login(standby.client)

    page = client.get("/waitlist").content.decode()

    assert "First in line" in page
    # Tuesday 10:00 UTC is 11:00 in Paris, named.
    assert "Tuesday 13 January 2026, 11:00</time> (Europe/Paris)" in page
    assert "can come at short notice" in page
