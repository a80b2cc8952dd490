import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection

from notifications import services
from notifications.models import (
    EmailDelivery,
    Notification,
    NotificationKind,
    NotificationSettings,
    Reminder,
)
from notifications.tests.factories import book, cancel, move
from notifications.tests.support import APPOINTMENT_START, NOW, shifted
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory


def _pending(appointment):
    return set(
        Reminder.objects.filter(
            appointment=appointment, sent_at=None, cancelled_at=None
        ).values_list("recipient__email", "lead_minutes", "due_at")
    )


def _reminder_mails():
    return sorted(m.to[0] for m in mail.outbox if m.subject.startswith("[SmartBook] Reminder"))


def test_booking_schedules_reminders_24h_and_1h_before_for_client_and_provider(appointment):
    book(appointment)

    client, provider = appointment.client.email, appointment.provider.user.email
    assert _pending(appointment) == {
        (client, 1440, shifted(APPOINTMENT_START, hours=-24)),
        (client, 60, shifted(APPOINTMENT_START, hours=-1)),
        (provider, 1440, shifted(APPOINTMENT_START, hours=-24)),
        (provider, 60, shifted(APPOINTMENT_START, hours=-1)),
    }


def test_reminder_is_not_sent_before_it_is_due_and_is_sent_when_due(appointment, time_machine):
    book(appointment)
    mail.outbox.clear()

    time_machine.move_to(shifted(APPOINTMENT_START, hours=-24, seconds=-1))
    assert services.reminders_send_due() == 0
    assert mail.outbox == []

    time_machine.move_to(shifted(APPOINTMENT_START, hours=-24))
    assert services.reminders_send_due() == 2

    assert _reminder_mails() == sorted([appointment.client.email, appointment.provider.user.email])
    message = next(m for m in mail.outbox if m.to == [appointment.client.email])
    assert message.subject.startswith("[SmartBook] Reminder: Physiotherapy tomorrow")
    assert "10:00 GMT (Europe/London)" in message.body
    assert Notification.objects.filter(kind=NotificationKind.REMINDER).count() == 2
    # The 1-hour reminders are still waiting.
    assert {lead for _, lead, _ in _pending(appointment)} == {60}


def test_running_the_sweep_twice_sends_each_reminder_once(appointment, time_machine):
    book(appointment)
    mail.outbox.clear()
    time_machine.move_to(shifted(APPOINTMENT_START, minutes=-30))

    first = services.reminders_send_due()
    second = services.reminders_send_due()

    # Both lead times are overdue (24 h and 1 h) for both people: four reminders, once each.
    assert (first, second) == (4, 0)
    assert len(_reminder_mails()) == 4
    assert EmailDelivery.objects.filter(kind=NotificationKind.REMINDER).count() == 4
    assert Reminder.objects.filter(sent_at=None).count() == 0


def test_no_reminder_after_cancellation(appointment, time_machine):
    book(appointment)
    cancel(appointment, actor=appointment.client, reason="")
    mail.outbox.clear()

    assert _pending(appointment) == set()
    time_machine.move_to(shifted(APPOINTMENT_START, minutes=-30))
    assert services.reminders_send_due() == 0
    assert mail.outbox == []
    assert not Notification.objects.filter(kind=NotificationKind.REMINDER).exists()


def test_sweep_skips_an_appointment_cancelled_without_an_event(appointment, time_machine):
    book(appointment)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save()
    time_machine.move_to(shifted(APPOINTMENT_START, minutes=-30))
    mail.outbox.clear()

    assert services.reminders_send_due() == 0

    assert mail.outbox == []
    assert Reminder.objects.filter(cancelled_at=None).count() == 0


def test_reschedule_replaces_reminders_with_ones_for_the_new_time(appointment, time_machine):
    book(appointment)
    new_start = shifted(APPOINTMENT_START, days=2)
    move(appointment, new_start=new_start)
    mail.outbox.clear()

    assert {(lead, due) for _, lead, due in _pending(appointment)} == {
        (1440, shifted(new_start, hours=-24)),
        (60, shifted(new_start, hours=-1)),
    }
    assert set(
        Reminder.objects.filter(appointment=appointment, cancelled_at=None).values_list(
            "sequence", flat=True
        )
    ) == {1}

    # The old times pass in silence...
    time_machine.move_to(shifted(APPOINTMENT_START, minutes=-30))
    assert services.reminders_send_due() == 0
    assert mail.outbox == []
    # ...and the new ones are sent.
    time_machine.move_to(shifted(new_start, minutes=-30))
    assert services.reminders_send_due() == 4
    assert "Friday 16 January 2026, 10:00 GMT" in mail.outbox[0].body


def test_late_booking_gets_only_the_reminders_still_ahead(
    frozen_now, client_user, clinic_provider, service
):
    appointment = AppointmentFactory(
        client=client_user,
        provider=clinic_provider,
        service=service,
        start=NOW + timedelta(hours=3),
    )
    book(appointment)

    assert {lead for _, lead, _ in _pending(appointment)} == {60}


def test_reminder_preferences_opt_out_and_own_lead_times(appointment):
    client_profile = appointment.client.profile
    client_profile.reminder_lead_minutes = [180]
    client_profile.save()
    provider_profile = appointment.provider.user.profile
    provider_profile.reminders_enabled = False
    provider_profile.save()

    book(appointment)

    assert _pending(appointment) == {
        (appointment.client.email, 180, shifted(APPOINTMENT_START, hours=-3))
    }


def test_staff_defaults_apply_when_the_user_chose_no_lead_times(appointment):
    settings_row = NotificationSettings.load()
    settings_row.reminder_lead_minutes = [120]
    settings_row.save()
    for user in (appointment.client, appointment.provider.user):
        user.profile.reminder_lead_minutes = []
        user.profile.save()

    book(appointment)

    assert {lead for _, lead, _ in _pending(appointment)} == {120}


def test_reminder_without_email_preference_still_reaches_the_inbox(appointment, time_machine):
    profile = appointment.client.profile
    profile.email_notifications = False
    profile.save()
    book(appointment)
    mail.outbox.clear()
    time_machine.move_to(shifted(APPOINTMENT_START, hours=-24))

    services.reminders_send_due()

    assert _reminder_mails() == [appointment.provider.user.email]
    assert Notification.objects.filter(
        user=appointment.client, kind=NotificationKind.REMINDER
    ).exists()


def test_reminder_without_email_preference_counts_as_sent(appointment, time_machine):
    profile = appointment.client.profile
    profile.email_notifications = False
    profile.save()
    book(appointment)
    time_machine.move_to(shifted(APPOINTMENT_START, hours=-24))

    # The client's reminder reached the inbox only, the provider's the inbox and email: two sent.
    assert services.reminders_send_due() == 2
    assert services.reminders_send_due() == 0


def test_a_reminder_whose_moment_is_exactly_now_is_not_created(
    frozen_now, client_user, clinic_provider, service
):
    appointment = AppointmentFactory(
        client=client_user,
        provider=clinic_provider,
        service=service,
        start=NOW + timedelta(hours=1),
    )
    book(appointment)

    # The 1-hour reminder would be due this very instant: too late, like the 24-hour one.
    assert _pending(appointment) == set()


def test_a_sweep_at_the_start_of_the_appointment_sends_nothing_and_cancels_the_rest(
    appointment, time_machine
):
    book(appointment)
    mail.outbox.clear()
    time_machine.move_to(APPOINTMENT_START)

    assert services.reminders_send_due(now=APPOINTMENT_START) == 0

    assert mail.outbox == []
    assert set(
        Reminder.objects.filter(appointment=appointment).values_list("sent_at", "cancelled_at")
    ) == {(None, APPOINTMENT_START)}


def test_each_reminder_email_is_queued_once_under_its_own_key(appointment, time_machine):
    book(appointment)
    time_machine.move_to(shifted(APPOINTMENT_START, hours=-24))

    services.reminders_send_due()

    reminders = Reminder.objects.filter(appointment=appointment, lead_minutes=1440)
    deliveries = EmailDelivery.objects.filter(kind=NotificationKind.REMINDER)
    assert sorted(deliveries.values_list("dedupe_key", flat=True)) == sorted(
        f"reminder:{pk}" for pk in reminders.values_list("pk", flat=True)
    )
    assert {d.context["lead_minutes"] for d in deliveries} == {1440}


def test_a_sweep_sends_at_most_500_reminders_and_the_next_sweep_the_rest(appointment):
    profile = appointment.client.profile
    profile.email_notifications = False  # inbox only: the batch is about the sweep, not email
    profile.save()
    # 501 reminders of the client, one per lead time from 1 to 501 minutes, all due a minute
    # before the start.
    Reminder.objects.bulk_create(
        Reminder(
            appointment=appointment,
            recipient=appointment.client,
            lead_minutes=lead,
            due_at=shifted(APPOINTMENT_START, minutes=-lead),
        )
        for lead in range(1, 502)
    )
    sweep_time = shifted(APPOINTMENT_START, minutes=-1)

    assert services.reminders_send_due(now=sweep_time) == 500
    # The earliest due go first: the one left is the 1-minute reminder.
    assert list(Reminder.objects.filter(sent_at=None).values_list("lead_minutes", flat=True)) == [1]
    assert services.reminders_send_due(now=sweep_time) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_send_each_reminder_exactly_once(
    client_user, clinic_provider, service
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to test")
    with time_machine.travel(NOW, tick=False):
        for hour in range(6):  # 10:00 to 15:00 on the same day, back to back
            appointment = AppointmentFactory(
                client=client_user,
                provider=clinic_provider,
                service=service,
                start=APPOINTMENT_START + timedelta(hours=hour),
            )
            book(appointment)
    mail.outbox.clear()
    # At 09:30 every 24-hour reminder is due (6 appointments x 2 people) and the 1-hour ones
    # of the 10:00 appointment: 14 of the 24.
    sweep_time = APPOINTMENT_START - timedelta(minutes=30)
    assert Reminder.objects.filter(cancelled_at=None).count() == 24

    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def sweep():
        try:
            barrier.wait(timeout=10)
            results.append(services.reminders_send_due(now=sweep_time))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(results) != [0, 0] and sum(results) == 14
    assert Reminder.objects.exclude(sent_at=None).count() == 14
    assert Notification.objects.filter(kind=NotificationKind.REMINDER).count() == 14
    assert EmailDelivery.objects.filter(kind=NotificationKind.REMINDER).count() == 14
    assert len(_reminder_mails()) == 14
