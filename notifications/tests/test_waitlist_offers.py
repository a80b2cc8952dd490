"""The waitlist's offers told to the client: an email (accept and decline links, the time and
the hold in the client's zone, named) and an inbox entry with the same links, once per offer
however often the event is handled; a gone or expired offer told briefly; an accepted one
confirmed by the booking's own email only."""

from datetime import date, time, timedelta
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import UserFactory
from notifications.models import EmailDelivery, Notification, NotificationKind
from notifications.services import offer_event_notify
from scheduling.models import BookingPolicy
from scheduling.services import appointment_book, appointment_cancel
from scheduling.tests.support import at
from waitlist import events, services
from waitlist.links import offer_for_token
from waitlist.models import Offer, OfferStatus
from waitlist.services import RangeInput

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY = date(2026, 1, 13)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def paris_client(db):
    return UserFactory(role="client", timezone="Europe/Paris", first_name="Claire")


def join(client, service, committed):
    """Wait for Tuesday 11:00-11:30 Paris (10:00 UTC) only."""
    with committed():
        return services.entry_join(
            client=client,
            service=service,
            ranges=[RangeInput(TUESDAY, TUESDAY, time(11), time(11, 30))],
            expires_on=date(2026, 1, 31),
            now=timezone.now(),
        )


@pytest.fixture
def taken(clinic_provider, service, other_client_user):
    """Tuesday 10:00 UTC, booked by someone else: the waitlist's clients join behind it."""
    return appointment_book(
        client=other_client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )


def free(taken, committed):
    mail.outbox.clear()
    with committed():
        appointment_cancel(appointment=taken, actor=None)


@pytest.fixture
def offered(paris_client, service, taken, committed):
    join(paris_client, service, committed)
    free(taken, committed)
    return Offer.objects.get(entry__client=paris_client)


def to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


def test_the_offer_email_names_the_time_the_hold_and_the_zone_with_both_links(
    offered, paris_client
):
    (email,) = to(paris_client)
    assert email.subject.startswith("[SmartBook] A time opened for you: Physiotherapy")
    text = email.body
    assert "Tuesday 13 January 2026, 11:00 CET (Europe/Paris)" in text
    assert "holding it for you until 09:15 CET (Europe/Paris)" in text
    assert "Dr. Ada Jones" in text and "Physiotherapy" in text
    html = email.alternatives[0][0]
    for action in ("accept", "decline"):
        url = next(w for w in text.split() if f"/waitlist/offers/{action}/" in w)
        assert url.startswith("http")
        assert f'href="{url}"' in html
        token = urlparse(url).path.rsplit("/", 1)[1]
        assert offer_for_token(token) == (offered, paris_client)


def test_the_inbox_entry_carries_the_same_links(offered, paris_client):
    (entry,) = Notification.objects.filter(user=paris_client, kind=NotificationKind.WAITLIST)
    assert entry.title == "A time opened for you"
    assert "held for you until 09:15 CET (Europe/Paris)" in entry.body
    text = to(paris_client)[0].body
    assert [link["label"] for link in entry.links] == ["Accept", "Decline"]
    assert all(link["url"] in text for link in entry.links)


def test_one_email_and_one_entry_per_offer_even_when_the_event_is_handled_twice(
    offered, paris_client, django_capture_on_commit_callbacks
):
    assert offer_event_notify(kind=NotificationKind.WAITLIST, offer_id=offered.pk) == []
    events.offer_made.send(sender="waitlist", offer=offered)

    assert len(to(paris_client)) == 1
    assert (
        Notification.objects.filter(user=paris_client, kind=NotificationKind.WAITLIST).count() == 1
    )
    assert EmailDelivery.objects.filter(recipient=paris_client).count() == 1


def test_an_offer_answered_before_its_email_is_sent_is_skipped(offered, paris_client):
    offer = offered
    delivery = EmailDelivery.objects.get(recipient=paris_client)
    Offer.objects.filter(pk=offer.pk).update(status=OfferStatus.GONE, nonce="")
    EmailDelivery.objects.filter(pk=delivery.pk).update(status="pending", sent_at=None)

    from notifications.services import email_delivery_send

    assert email_delivery_send(delivery_id=delivery.pk) == "skipped"


def test_accepting_sends_the_booking_confirmation_once_and_no_offer_mail(
    offered, paris_client, committed
):
    mail.outbox.clear()
    with committed():
        services.offer_accept(offer=offered, client=paris_client, now=timezone.now())

    (email,) = to(paris_client)
    assert email.subject.startswith("[SmartBook] Appointment booked")
    assert not Notification.objects.filter(
        user=paris_client, kind__in=[NotificationKind.OFFER_GONE, NotificationKind.OFFER_EXPIRED]
    ).exists()


def test_in_a_batch_the_client_who_was_too_late_is_told_it_has_gone_and_still_waits(
    paris_client, service, taken, committed
):
    policy = BookingPolicy.load()
    policy.offer_batch_size = 2
    policy.save()
    second = UserFactory(role="client", timezone="Europe/Paris")
    join(paris_client, service, committed)
    join(second, service, committed)
    free(taken, committed)
    assert Offer.objects.filter(status=OfferStatus.PENDING).count() == 2
    mail.outbox.clear()

    with committed():
        services.offer_accept(
            offer=Offer.objects.get(entry__client=paris_client),
            client=paris_client,
            now=timezone.now(),
        )

    (gone,) = to(second)
    assert gone.subject.startswith("[SmartBook] The time has gone")
    assert "You are still on the waitlist" in gone.body
    (entry,) = Notification.objects.filter(user=second, kind=NotificationKind.OFFER_GONE)
    assert "You are still on the waitlist." in entry.body
    assert [m.subject.split(":")[0] for m in to(paris_client)] == ["[SmartBook] Appointment booked"]


def test_an_expired_offer_is_told_in_the_inbox_only(offered, paris_client, committed, time_machine):
    time_machine.move_to(offered.expires_at + timedelta(minutes=1), tick=False)
    mail.outbox.clear()
    with committed():
        services.offers_expire(now=timezone.now())

    (entry,) = Notification.objects.filter(user=paris_client, kind=NotificationKind.OFFER_EXPIRED)
    assert entry.title == "The offered time has passed"
    assert "You are still on the waitlist." in entry.body
    assert to(paris_client) == []


def test_leaving_the_waitlist_withdraws_the_offer_without_telling_the_client_it_has_gone(
    offered, paris_client, committed
):
    with committed():
        services.entry_leave(entry=offered.entry, client=paris_client, now=timezone.now())

    assert not Notification.objects.filter(
        user=paris_client, kind=NotificationKind.OFFER_GONE
    ).exists()
