"""A small clinic for the proof tests: two clients, two providers, an admin, appointments,
notifications, so the API does real work for every role.

Roles of the access matrix:
- client_a: owns `appt_a` (future, with provider P1) and `past_a` (started, with P1)
- client_b: owns `appt_b` (future, with provider P2)
- client_a also waits on the waitlist (`entry_a`) and holds an offer of P1's time
  (`offer_a`, held for them, with its signed link's token `offer_token_a`)
- provider: P1's user, the provider of `appt_a` and `past_a`
- other_provider: P2's user
- admin, anonymous
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.support import auth_client
from proof.support import next_weekday_at


@dataclass
class World:
    users: dict
    p1: object
    p2: object
    service: object
    appt_a: object
    appt_b: object
    past_a: object
    notification_a: object
    notification_b: object
    feed_token_a: str
    entry_a: object = None
    offer_a: object = None
    offer_token_a: str = ""
    calendar_p1: object = None  # P1's calendar subscription (a private address: never fetched)
    series_a: object = None  # client A's weekly series with P1 (two Wednesdays, 09:00)
    session_a: object = None  # P1's group session in which client A holds a seat (Thursday 09:00)
    clients: dict = field(default_factory=dict)

    def api(self, role: str) -> APIClient:
        if role not in self.clients:
            self.clients[role] = (
                APIClient() if role == "anonymous" else auth_client(self.users[role])
            )
        return self.clients[role]

    def web(self, role: str):
        """A Django test client logged in with a session (the web pages)."""
        from django.test import Client

        client = Client()
        if role != "anonymous":
            client.force_login(
                self.users[role], backend="django.contrib.auth.backends.ModelBackend"
            )
        return client


def _book(**kwargs):
    from scheduling.services import appointment_book

    return appointment_book(**kwargs)


def _series(*, client, provider, service):
    from scheduling.recurrence import Frequency, Recurrence
    from scheduling.series import series_book

    return series_book(
        client=client,
        provider=provider,
        service=service,
        first_start=next_weekday_at(2, 9),
        rule=Recurrence(Frequency.WEEKLY, count=2),
        actor=client,
    ).series


def _group_session(*, client, provider):
    """P1's group class with client A in one of its seats."""
    from providers.tests.factories import ServiceFactory

    group = ServiceFactory(name="Group class", duration_minutes=60, capacity=4)
    provider.services.add(group)
    seat = _book(
        client=client, provider=provider, service=group, start=next_weekday_at(3, 9), actor=client
    )
    return seat.session


def _past_appointment(*, client, provider, service):
    from scheduling.tests.factories import AppointmentFactory

    start = (timezone.now() - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    return AppointmentFactory(client=client, provider=provider, service=service, start=start)


def _waitlist_offer(*, client, provider, service):
    """Client A waits for the service over the coming weeks and is offered P1's Friday
    15:00, held for them (straight rows: the matching is the waitlist's own tests' subject)."""
    from scheduling.services import hold_place
    from waitlist.models import Offer
    from waitlist.tests.factories import WaitlistEntryFactory, WaitlistRangeFactory

    entry = WaitlistEntryFactory(client=client, service=service)
    WaitlistRangeFactory(entry=entry, last_date=(timezone.now() + timedelta(days=28)).date())
    start = next_weekday_at(4, 15, weeks_ahead=2)
    hold = hold_place(
        provider=provider,
        service=service,
        start=start,
        client=client,
        expires_at=timezone.now() + timedelta(days=1),
    )
    offer = Offer.objects.create(
        entry=entry,
        provider=provider,
        service=service,
        start=hold.start,
        end=hold.end,
        hold=hold,
        expires_at=hold.hold_expires_at,
    )
    return entry, offer


@pytest.fixture
def world(db, django_capture_on_commit_callbacks) -> World:
    from accounts.tests.factories import UserFactory
    from notifications.models import Notification
    from notifications.services.inbox import calendar_feed_get_or_create
    from providers.tests.factories import ProviderFactory, ServiceFactory

    service = ServiceFactory(buffer_after_minutes=10, name="Consultation")
    p1 = ProviderFactory(services=[service], display_name="Dr. One")
    p2 = ProviderFactory(services=[service], display_name="Dr. Two")
    users = {
        "client_a": UserFactory(role="client", email="client.a@example.com"),
        "client_b": UserFactory(role="client", email="client.b@example.com"),
        "provider": p1.user,
        "other_provider": p2.user,
        "admin": UserFactory(role="admin", is_staff=True, is_superuser=True),
    }
    with django_capture_on_commit_callbacks(execute=True):
        appt_a = _book(
            client=users["client_a"],
            provider=p1,
            service=service,
            start=next_weekday_at(1, 10),
            actor=users["client_a"],
            client_notes="A's private note",
        )
    with django_capture_on_commit_callbacks(execute=True):
        appt_b = _book(
            client=users["client_b"],
            provider=p2,
            service=service,
            start=next_weekday_at(2, 11),
            actor=users["client_b"],
            client_notes="B's private note",
        )
    past_a = _past_appointment(client=users["client_a"], provider=p1, service=service)
    notification_a = Notification.objects.filter(user=users["client_a"]).first()
    notification_b = Notification.objects.filter(user=users["client_b"]).first()
    if notification_a is None:
        notification_a = Notification.objects.create(
            user=users["client_a"], kind="booked", title="A booked", appointment=appt_a
        )
    if notification_b is None:
        notification_b = Notification.objects.create(
            user=users["client_b"], kind="booked", title="B booked", appointment=appt_b
        )
    feed = calendar_feed_get_or_create(user=users["client_a"])
    entry_a, offer_a = _waitlist_offer(client=users["client_a"], provider=p1, service=service)
    from waitlist.links import offer_token

    return World(
        calendar_p1=_calendar_subscription(p1),
        series_a=_series(client=users["client_a"], provider=p1, service=service),
        session_a=_group_session(client=users["client_a"], provider=p1),
        users=users,
        p1=p1,
        p2=p2,
        service=service,
        appt_a=appt_a,
        appt_b=appt_b,
        past_a=past_a,
        notification_a=notification_a,
        notification_b=notification_b,
        feed_token_a=feed.token,
        entry_a=entry_a,
        offer_a=offer_a,
        offer_token_a=offer_token(offer_a),
    )


def _calendar_subscription(provider):
    """A subscription of the provider's, written as its rows: its address is a private one, so
    a sync only records the refusal (no network)."""
    from calendars.models import CalendarConnection, ConnectionKind
    from providers.services import busy_source_create

    return CalendarConnection.objects.create(
        provider=provider,
        kind=ConnectionKind.ICS,
        name="P1's practice calendar",
        url="https://203.0.113.5/secret-p1.ics",
        source=busy_source_create(provider=provider, label="P1's practice calendar"),
    )
