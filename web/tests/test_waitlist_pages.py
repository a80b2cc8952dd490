"""The waitlist's pages: the one-click link (GET shows, POST answers; expired, tampered and
used links answer a clear page with a 4xx), joining from the booking page and from an
appointment, "My waitlist" (own entries and offers only), and the dashboard's refill card."""

from datetime import date, timedelta
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import UserFactory
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import appointment_book, appointment_cancel
from scheduling.tests.support import at
from waitlist import services
from waitlist.models import EntryStatus, Offer, OfferStatus, WaitlistEntry
from waitlist.tests.support import days

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY = date(2026, 1, 13)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def service(db):
    return ServiceFactory(name="Physiotherapy", duration_minutes=30)


@pytest.fixture
def clinic_provider(db, service):
    return ProviderFactory(services=[service], display_name="Dr. Ada Jones")


@pytest.fixture
def taken(clinic_provider, service, other_client_user):
    return appointment_book(
        client=other_client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )


@pytest.fixture
def offered(client_user, service, taken, committed):
    """Tuesday 10:00 London freed, with `client_user` waiting for it: held for them."""
    from datetime import time

    with committed():
        services.entry_join(
            client=client_user,
            service=service,
            ranges=[days(TUESDAY, TUESDAY, time(10), time(10, 30))],
            expires_on=date(2026, 1, 31),
            now=timezone.now(),
        )
    mail.outbox.clear()
    with committed():
        appointment_cancel(appointment=taken, actor=None)
    return Offer.objects.get(entry__client=client_user)


def link_path(user, action: str) -> str:
    """The path of the offer email's Accept or Decline link."""
    (email,) = [m for m in mail.outbox if m.to == [user.email]]
    url = next(word for word in email.body.split() if f"/waitlist/offers/{action}/" in word)
    return urlparse(url).path


def booked_for(user):
    return Appointment.objects.filter(client=user, status=AppointmentStatus.BOOKED)


# --- the link page ------------------------------------------------------------------------


def test_opening_the_accept_link_shows_the_offer_and_books_nothing(client, offered, client_user):
    response = client.get(link_path(client_user, "accept"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Tuesday 13 January 2026, 10:00" in page and "(Europe/London)" in page
    assert "Dr. Ada Jones" in page and "Physiotherapy" in page
    assert "Held for you until" in page and "08:15 (Europe/London)" in page
    assert 'id="offer-confirm"' in page
    assert not booked_for(client_user).exists()
    offered.refresh_from_db()
    assert offered.status == OfferStatus.PENDING


def test_confirming_the_accept_link_books_without_signing_in(client, offered, client_user):
    path = link_path(client_user, "accept")
    client.get(path)  # the page sets the CSRF cookie its form posts with

    response = client.post(path)

    assert response.status_code == 200
    assert 'id="offer-done"' in response.content.decode()
    (appointment,) = booked_for(client_user)
    assert appointment.start == at(13, 10)


def test_the_page_shows_a_signed_in_viewer_their_own_zone(client, offered, client_user):
    client_user.timezone = "America/New_York"
    client_user.save(update_fields=["timezone"])
    client.force_login(client_user)

    page = client.get(link_path(client_user, "accept")).content.decode()

    assert "Tuesday 13 January 2026, 05:00" in page and "(America/New_York)" in page


def test_a_used_link_answers_409_saying_so(client, offered, client_user):
    path = link_path(client_user, "accept")
    client.get(path)
    client.post(path)

    for response in (client.get(path), client.post(path)):
        assert response.status_code == 409
        assert "This link was already used" in response.content.decode()
        assert "still on the waitlist" in response.content.decode()
    assert booked_for(client_user).count() == 1


def test_a_tampered_link_answers_400(client, offered, client_user):
    path = link_path(client_user, "accept")
    response = client.get(path[:-3] + ("abc" if not path.endswith("abc") else "xyz"))

    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()


def test_an_unknown_action_is_404(client, offered, client_user):
    path = link_path(client_user, "accept").replace("/accept/", "/take/")
    assert client.get(path).status_code == 404


def test_an_expired_link_answers_410_and_books_nothing(client, offered, client_user, time_machine):
    path = link_path(client_user, "accept")
    client.get(path)
    time_machine.move_to(offered.expires_at + timedelta(seconds=1), tick=False)

    assert client.get(path).status_code == 410
    response = client.post(path)

    assert response.status_code == 410
    assert "This time has gone" in response.content.decode()
    assert not booked_for(client_user).exists()
    offered.refresh_from_db()
    assert offered.status == OfferStatus.EXPIRED


def test_the_decline_link_declines_on_post_only(client, offered, client_user):
    path = link_path(client_user, "decline")
    assert client.get(path).status_code == 200
    offered.refresh_from_db()
    assert offered.status == OfferStatus.PENDING

    response = client.post(path)

    assert response.status_code == 200
    assert "You are still on the waitlist" in response.content.decode()
    offered.refresh_from_db()
    assert offered.status == OfferStatus.DECLINED


# --- joining ------------------------------------------------------------------------------


def join_data(service, **overrides):
    data = {
        "service": service.pk,
        "provider": "",
        "urgency": "routine",
        "expires_on": "2026-02-01",
        "ranges-TOTAL_FORMS": "3",
        "ranges-INITIAL_FORMS": "0",
        "ranges-MIN_NUM_FORMS": "1",
        "ranges-MAX_NUM_FORMS": "10",
        "ranges-0-first_date": "2026-01-13",
        "ranges-0-last_date": "2026-01-16",
        "ranges-0-earliest": "10:00",
        "ranges-0-latest": "12:00",
        "ranges-1-first_date": "2026-01-20",
        "ranges-1-last_date": "2026-01-20",
        "ranges-1-earliest": "14:00",
        "ranges-1-latest": "16:30",
    }
    data.update(overrides)
    return data


@pytest.fixture
def new_yorker(db):
    return UserFactory(role="client", timezone="America/New_York")


def test_the_booking_page_offers_to_join_the_waitlist(client, new_yorker, service):
    client.force_login(new_yorker)
    page = client.get("/book").content.decode()

    assert 'action="/waitlist/join"' in page
    for name in ("service", "provider", "urgency", "expires_on", "ranges-0-earliest"):
        assert f'name="{name}"' in page
    assert "America/New_York" in page
    # Date inputs take ISO dates (the client's today plus 30 days), whatever the locale.
    assert 'name="expires_on" value="2026-02-11"' in page
    assert 'name="ranges-0-first_date" value="2026-01-12"' in page


def test_joining_from_the_booking_page_keeps_the_ranges_in_the_clients_zone(
    client, new_yorker, service
):
    client.force_login(new_yorker)

    response = client.post("/waitlist/join", join_data(service))

    assert response.status_code == 302 and response["Location"] == "/waitlist"
    entry = WaitlistEntry.objects.get(client=new_yorker)
    assert (entry.service, entry.provider, entry.expires_on) == (service, None, date(2026, 2, 1))
    ranges = [
        (r.first_date, r.last_date, f"{r.earliest:%H:%M}", f"{r.latest:%H:%M}")
        for r in entry.ranges.all()
    ]
    assert ranges == [
        (date(2026, 1, 13), date(2026, 1, 16), "10:00", "12:00"),
        (date(2026, 1, 20), date(2026, 1, 20), "14:00", "16:30"),
    ]
    page = client.get("/waitlist").content.decode()
    assert "Physiotherapy" in page and "10:00–12:00" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ranges-0-latest": "09:00"}, "The latest time must be after the earliest."),
        ({"ranges-0-first_date": "2026-01-01"}, "This range starts in the past."),
        ({"expires_on": "2025-12-31"}, "The expiry date is in the past."),
        ({"ranges-0-earliest": "soon"}, "Enter a valid time."),
    ],
)
def test_bad_input_re_renders_with_the_fields_error_and_writes_nothing(
    client, new_yorker, service, overrides, message
):
    client.force_login(new_yorker)

    response = client.post("/waitlist/join", join_data(service, **overrides))

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'id="form-problem"' in page
    assert not WaitlistEntry.objects.exists()


def test_no_range_at_all_is_refused(client, new_yorker, service):
    client.force_login(new_yorker)
    data = {
        k: v for k, v in join_data(service).items() if not k.startswith("ranges-") or "FORMS" in k
    }

    response = client.post("/waitlist/join", data)

    assert response.status_code == 400
    assert not WaitlistEntry.objects.exists()


def test_something_earlier_binds_the_entry_to_the_appointment(
    client, client_user, clinic_provider, service
):
    appointment = appointment_book(
        client=client_user, provider=clinic_provider, service=service, start=at(23, 10)
    )
    client.force_login(client_user)
    assert (
        "Tell me if something earlier opens"
        in client.get(f"/appointments/{appointment.pk}").content.decode()
    )
    data = {k: v for k, v in join_data(service).items() if k not in ("service", "provider")}

    response = client.post(f"/appointments/{appointment.pk}/earlier", data)

    assert response.status_code == 302
    entry = WaitlistEntry.objects.get(client=client_user)
    assert (entry.appointment, entry.provider, entry.service) == (
        appointment,
        clinic_provider,
        service,
    )


# --- my waitlist and others' --------------------------------------------------------------


def test_my_waitlist_shows_the_held_time_and_accepting_there_books_it(client, offered, client_user):
    client.force_login(client_user)
    page = client.get("/waitlist").content.decode()
    assert f'action="/waitlist/offers/{offered.pk}/accept"' in page
    assert 'href="/waitlist"' in page  # the navigation names the page for clients

    response = client.post(f"/waitlist/offers/{offered.pk}/accept")

    (appointment,) = booked_for(client_user)
    assert response["Location"] == f"/appointments/{appointment.pk}?booked=1"


def test_leaving_from_my_waitlist(client, offered, client_user):
    client.force_login(client_user)

    client.post(f"/waitlist/entries/{offered.entry_id}/leave")

    offered.entry.refresh_from_db()
    assert offered.entry.status == EntryStatus.LEFT


def test_changing_an_entry_replaces_its_ranges(client, offered, client_user):
    client.force_login(client_user)
    assert client.get(f"/waitlist/entries/{offered.entry_id}").status_code == 200
    data = join_data(
        offered.service,
        **{"ranges-INITIAL_FORMS": "2"},
        **{
            "ranges-1-first_date": "",
            "ranges-1-last_date": "",
            "ranges-1-earliest": "",
            "ranges-1-latest": "",
        },
    )

    response = client.post(f"/waitlist/entries/{offered.entry_id}", data)

    assert response.status_code == 302
    (row,) = offered.entry.ranges.all()
    assert (row.first_date, row.last_date) == (date(2026, 1, 13), date(2026, 1, 16))


def test_another_clients_entry_offer_and_appointment_are_404(
    client, offered, other_client_user, taken
):
    client.force_login(other_client_user)
    entry = offered.entry

    assert client.get(f"/waitlist/entries/{entry.pk}").status_code == 404
    assert client.post(f"/waitlist/entries/{entry.pk}").status_code == 404
    assert client.post(f"/waitlist/entries/{entry.pk}/leave").status_code == 404
    assert client.post(f"/waitlist/offers/{offered.pk}/accept").status_code == 404
    assert "Physiotherapy" not in client.get("/waitlist").content.decode()
    entry.refresh_from_db()
    assert entry.status == EntryStatus.ACTIVE

    client.force_login(entry.client)
    assert client.get(f"/appointments/{taken.pk}/earlier").status_code == 404


# --- the dashboard card -------------------------------------------------------------------


def test_the_dashboard_card_shows_the_share_refilled_and_the_median_time(
    client, offered, client_user, admin_user, committed, time_machine
):
    time_machine.move_to(timezone.now() + timedelta(minutes=5), tick=False)
    with committed():
        services.offer_accept(offer=offered, client=client_user, now=timezone.now())
    client.force_login(admin_user)

    page = client.get("/admin/").content.decode()

    assert "Waitlist: share of freed time refilled" in page
    assert "Waitlist: median time to refill" in page
    card = page[page.index('id="waitlist-card"') :]
    assert "100%" in card and "5 min" in card and "1 waitlist offer accepted" in card
