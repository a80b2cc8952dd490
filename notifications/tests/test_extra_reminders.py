"""Acting on a high no-show risk, as the client hears it: the one extra reminder (email and
inbox, with the "I'm coming" / "I can't make it" links and, under confirm-or-release, the
deadline in their zone), the release after a missed deadline (the cancellation's email with
its reason, the time offered to the waitlist), a standby place told, and reminders reported
to the no-show model."""

from datetime import date, time
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import UserFactory
from attendance import actions
from attendance.models import ReminderDelivery, RiskLevel, RiskScore
from notifications.models import ExtraReminder, Notification, NotificationKind
from notifications.services import (
    extra_reminders_send_due,
    no_show_risk_act,
    reminders_send_due,
    reminders_sync,
    unconfirmed_release,
)
from scheduling.models import AppointmentStatus, BookingPolicy
from scheduling.services import appointment_book
from scheduling.tests.support import at
from waitlist import services as waitlist_services
from waitlist.models import Offer, StandbyPlace
from waitlist.services import RangeInput

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def policy(db):
    policy = BookingPolicy.load()
    policy.min_notice_minutes = 60
    policy.save()
    return policy


@pytest.fixture
def paris_client(db):
    return UserFactory(role="client", timezone="Europe/Paris", first_name="Claire")


def high_risk(appointment):
    RiskScore.objects.update_or_create(
        appointment=appointment, defaults={"probability": 0.6, "level": RiskLevel.HIGH}
    )
    return appointment


@pytest.fixture
def risky(policy, committed, paris_client, clinic_provider, service):
    """Claire's Physiotherapy on Wednesday 14 January, 10:00 UTC (11:00 in Paris)."""
    with committed():
        appointment = appointment_book(
            client=paris_client, provider=clinic_provider, service=service, start=at(14, 10)
        )
    return high_risk(appointment)


def send(committed, when):
    """Run the extra reminders' sweep at `when`, the emails sent in-process."""
    mail.outbox.clear()
    with committed():
        return extra_reminders_send_due(now=when)


def test_the_extra_reminder_goes_out_once_at_48_hours_with_both_links(
    risky, committed, time_machine
):
    assert send(committed, at(12, 9, 59)) == 0  # 48 h and a minute ahead: not yet
    time_machine.move_to(at(12, 10), tick=False)
    assert send(committed, timezone.now()) == 1
    assert len(mail.outbox) == 1
    assert send(committed, timezone.now()) == 0
    assert mail.outbox == []

    entry = Notification.objects.get(kind=NotificationKind.EXTRA_REMINDER)
    assert entry.user == risky.client
    assert entry.title == "Are you still coming?"
    assert [link["label"] for link in entry.links] == ["I'm coming", "I can't make it"]
    paths = [urlparse(link["url"]).path for link in entry.links]
    assert paths == [
        f"/attendance/coming/{actions.answer_token(risky)}",
        f"/attendance/cannot-come/{actions.answer_token(risky)}",
    ]
    assert ExtraReminder.objects.get().confirm_by is None
    assert ReminderDelivery.objects.filter(appointment=risky, delivered_at=at(12, 10)).exists()


def test_the_email_speaks_in_the_clients_zone_and_its_links_answer(
    risky, committed, time_machine, client
):
    time_machine.move_to(at(12, 10), tick=False)
    send(committed, timezone.now())
    (email,) = mail.outbox
    assert email.to == [risky.client.email]
    assert email.subject.startswith("[SmartBook] Are you still coming?: Physiotherapy")
    text = email.body
    assert "Hello Claire" in text
    assert "Wednesday 14 January 2026, 11:00 CET (Europe/Paris)" in text
    assert "Are you still coming? One click tells us." in text
    assert "Confirm by" not in text and "confirm by" not in text
    html = email.alternatives[0][0]
    assert "I&#x27;m coming" in html or "I'm coming" in html
    coming = next(line for line in text.splitlines() if line.startswith("I'm coming:"))
    url = coming.split(":", 1)[1].strip()
    with committed():
        assert client.post(urlparse(url).path).status_code == 200
    risky.refresh_from_db()
    assert risky.confirmed_at == timezone.now()


def test_no_extra_reminder_for_low_risk_confirmed_or_with_the_policy_off(
    risky, committed, time_machine, policy, clinic_provider, service
):
    with committed():
        low = appointment_book(
            client=UserFactory(role="client"),
            provider=clinic_provider,
            service=service,
            start=at(14, 11),
        )
    RiskScore.objects.update_or_create(
        appointment=low, defaults={"probability": 0.05, "level": RiskLevel.LOW}
    )
    with committed():
        actions.attendance_coming(appointment=risky)
    time_machine.move_to(at(12, 12), tick=False)
    assert send(committed, timezone.now()) == 0

    risky.confirmed_at = None
    risky.save(update_fields=["confirmed_at"])
    policy.extra_reminder_for_high_risk = False
    policy.save()
    assert send(committed, timezone.now()) == 0
    assert not Notification.objects.filter(kind=NotificationKind.EXTRA_REMINDER).exists()


@pytest.fixture
def releasing(policy):
    policy.confirm_or_release = True
    policy.save()
    return policy


def test_under_confirm_or_release_the_reminder_names_the_deadline_in_the_clients_zone(
    risky, releasing, committed, time_machine
):
    time_machine.move_to(at(12, 10), tick=False)
    send(committed, timezone.now())
    assert ExtraReminder.objects.get().confirm_by == at(13, 10)
    (email,) = mail.outbox
    assert (
        "Please confirm by Tuesday 13 January 2026, 11:00 CET (Europe/Paris). If we have not "
        "heard from you by then, the time will be offered to someone else." in email.body
    )
    entry = Notification.objects.get(kind=NotificationKind.EXTRA_REMINDER)
    assert "or the time will be offered to someone else" in entry.body


def test_a_missed_deadline_releases_the_time_tells_the_client_and_offers_it(
    risky, releasing, committed, time_machine, other_client_user, service
):
    with committed():
        waitlist_services.entry_join(
            client=other_client_user,
            service=service,
            ranges=[RangeInput(date(2026, 1, 14), date(2026, 1, 14), time(10), time(10, 30))],
            expires_on=date(2026, 1, 31),
            now=timezone.now(),
        )
    time_machine.move_to(at(12, 10), tick=False)
    send(committed, timezone.now())
    time_machine.move_to(at(13, 9, 59), tick=False)
    assert unconfirmed_release() == []

    time_machine.move_to(at(13, 10), tick=False)
    mail.outbox.clear()
    with committed():
        assert unconfirmed_release() == [risky.pk]
    with committed():
        assert unconfirmed_release() == []
    risky.refresh_from_db()
    assert risky.status == AppointmentStatus.CANCELLED
    to_client = [m for m in mail.outbox if m.to == [risky.client.email]]
    (cancelled,) = [m for m in to_client if "cancelled" in m.subject.lower()]
    # Nobody cancelled it by hand: the sentence names no one ("by the system" before).
    assert f"This appointment was cancelled. Reason: {actions.RELEASE_REASON}" in cancelled.body
    assert "by the system" not in cancelled.body
    entry = Notification.objects.get(user=risky.client, kind=NotificationKind.CANCELLED)
    assert entry.body.endswith(f"was cancelled. Reason: {actions.RELEASE_REASON}")
    assert Offer.objects.get().entry.client == other_client_user


def test_a_client_told_too_late_is_never_released(
    releasing, committed, time_machine, paris_client, clinic_provider, service
):
    # Booked on Monday 08:00 for Tuesday 16:00: the deadline would be Monday 16:00, eight
    # hours after the reminder, less than the twelve hours' warning.
    with committed():
        late = appointment_book(
            client=paris_client, provider=clinic_provider, service=service, start=at(13, 16)
        )
    high_risk(late)
    send(committed, timezone.now())
    assert ExtraReminder.objects.get(appointment=late).confirm_by is None
    assert "confirm by" not in mail.outbox[0].body.lower()
    time_machine.move_to(at(13, 15), tick=False)
    assert unconfirmed_release() == []
    late.refresh_from_db()
    assert late.status == AppointmentStatus.BOOKED


def test_a_standby_place_is_told_once(risky, committed, time_machine, service):
    standby_client = UserFactory(role="client", timezone="Europe/Paris", first_name="Sam")
    with committed():
        waitlist_services.entry_join(
            client=standby_client,
            service=service,
            ranges=[RangeInput(date(2026, 1, 14), date(2026, 1, 14), time(11), time(11, 30))],
            expires_on=date(2026, 1, 31),
            short_notice=True,
            now=timezone.now(),
        )
    time_machine.move_to(at(12, 10), tick=False)
    mail.outbox.clear()
    with committed():
        result = no_show_risk_act()
    assert result == {"extra_reminders": 1, "released": 0, "standby_places": 1}
    place = StandbyPlace.objects.get()
    assert place.entry.client == standby_client
    (told,) = [m for m in mail.outbox if m.to == [standby_client.email]]
    assert told.subject.startswith("[SmartBook] You are on standby: Physiotherapy")
    assert "Wednesday 14 January 2026, 11:00 CET (Europe/Paris)" in told.body
    assert "first in line" in told.body
    assert "Nothing is booked yet." in told.body
    with committed():
        assert no_show_risk_act()["standby_places"] == 0
    assert (
        Notification.objects.filter(user=standby_client, kind=NotificationKind.STANDBY).count() == 1
    )


def test_a_sent_reminder_is_reported_to_the_no_show_model(appointment, committed, time_machine):
    reminders_sync(appointment=appointment)
    time_machine.move_to(at(13, 10), tick=False)  # 24 hours before
    with committed():
        assert reminders_send_due() >= 1
    assert list(
        ReminderDelivery.objects.filter(appointment=appointment).values_list(
            "delivered_at", flat=True
        )
    ) == [at(13, 10)]


def test_staff_see_each_extra_reminder_and_its_deadline(
    risky, releasing, committed, time_machine, client, admin_user
):
    time_machine.move_to(at(12, 10), tick=False)
    send(committed, timezone.now())
    client.force_login(admin_user)
    page = client.get("/admin/notifications/extrareminder/")
    assert page.status_code == 200
    html = page.content.decode()
    assert str(risky) in html
    assert f"/admin/notifications/extrareminder/{ExtraReminder.objects.get().pk}/change/" in html


def test_a_client_who_turned_reminders_off_gets_no_extra_one_and_is_never_released(
    risky, releasing, committed, time_machine
):
    from accounts.models import Profile

    Profile.objects.update_or_create(user=risky.client, defaults={"reminders_enabled": False})
    risky.client.refresh_from_db()
    time_machine.move_to(at(12, 10), tick=False)
    assert send(committed, timezone.now()) == 0
    assert not ExtraReminder.objects.exists()
    time_machine.move_to(at(13, 10, 1), tick=False)
    assert unconfirmed_release() == []
    risky.refresh_from_db()
    assert risky.status == AppointmentStatus.BOOKED
