import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from notifications import services
from notifications.models import (
    DeliveryStatus,
    EmailDelivery,
    NotificationKind,
    NotificationSettings,
)
from notifications.tasks import send_appointment_email, send_due_reminders, send_provider_digests
from notifications.tests.backends import FlakySMTPBackend
from notifications.tests.brokers import using_broker
from notifications.tests.factories import book
from notifications.tests.support import APPOINTMENT_START, NOW, shifted
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

FLAKY = "notifications.tests.backends.FlakySMTPBackend"


@pytest.fixture
def flaky_smtp(settings):
    settings.EMAIL_BACKEND = FLAKY
    FlakySMTPBackend.arrange(failures=0)
    return FlakySMTPBackend


def _delivery(appointment, kind=NotificationKind.BOOKED) -> EmailDelivery:
    return services.email_delivery_create(
        recipient=appointment.client,
        kind=kind,
        subject="Appointment booked",
        appointment=appointment,
    )


def test_mail_server_failures_are_retried_until_the_email_goes_out(appointment, flaky_smtp):
    flaky_smtp.arrange(failures=2)
    delivery = _delivery(appointment)

    send_appointment_email.delay(delivery.pk)

    delivery.refresh_from_db()
    assert flaky_smtp.calls == 3
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 3)
    assert "SMTPServerDisconnected" in delivery.last_error
    assert [m.to for m in mail.outbox] == [[appointment.client.email]]


def test_after_the_last_retry_the_failure_is_recorded(appointment, flaky_smtp):
    row = NotificationSettings.load()
    row.max_email_retries = 3
    row.save()
    flaky_smtp.arrange(failures=100, error=smtplib.SMTPResponseException(421, b"Try later"))
    delivery = _delivery(appointment)

    send_appointment_email.delay(delivery.pk)

    delivery.refresh_from_db()
    assert flaky_smtp.calls == 4  # the first attempt and three retries
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 4
    assert delivery.last_error.startswith("Gave up after retries")
    assert "421" in delivery.last_error
    assert mail.outbox == []


def test_a_permanent_refusal_is_not_retried(appointment, flaky_smtp):
    flaky_smtp.arrange(
        failures=1,
        error=smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"No such user")}),
    )
    delivery = _delivery(appointment)

    send_appointment_email.delay(delivery.pk)

    delivery.refresh_from_db()
    assert flaky_smtp.calls == 1
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert "550" in delivery.last_error


def test_a_sent_email_is_not_sent_again_by_a_duplicate_task(appointment):
    delivery = _delivery(appointment)

    send_appointment_email.delay(delivery.pk)
    send_appointment_email.delay(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(mail.outbox)) == (DeliveryStatus.SENT, 1, 1)


def test_booking_while_the_broker_is_down_keeps_the_email_for_the_sweep(appointment, settings):
    with using_broker(settings, "redis://127.0.0.1:1/0"):
        book(appointment)  # must not raise

    deliveries = EmailDelivery.objects.filter(appointment=appointment)
    assert deliveries.count() == 2
    assert {d.status for d in deliveries} == {DeliveryStatus.PENDING}
    assert mail.outbox == []

    # Four minutes later the sweep leaves them alone; after five it re-drives them.
    with time_machine.travel(NOW + timedelta(minutes=4), tick=False):
        send_due_reminders.delay()
    assert mail.outbox == []
    with time_machine.travel(NOW + timedelta(minutes=6), tick=False):
        send_due_reminders.delay()

    assert {d.status for d in deliveries.all()} == {DeliveryStatus.SENT}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [appointment.client.email, appointment.provider.user.email]
    )


def test_sweep_does_not_redrive_an_email_another_worker_is_sending(appointment):
    delivery = _delivery(appointment)
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=NOW - timedelta(minutes=10), locked_until=NOW + timedelta(minutes=1)
    )

    assert services.email_deliveries_redrive(now=NOW) == 0
    assert mail.outbox == []


def test_admin_retry_sends_a_failed_email_again(appointment, admin_user, client):
    delivery = _delivery(appointment)
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, attempts=6, last_error="Gave up after retries"
    )
    client.force_login(admin_user)

    response = client.post(
        "/admin/notifications/emaildelivery/",
        {"action": "retry", "_selected_action": [delivery.pk]},
    )

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 7)
    assert len(mail.outbox) == 1


def test_admin_lists_deliveries_filtered_by_status(appointment, admin_user, client):
    failed = _delivery(appointment)
    EmailDelivery.objects.filter(pk=failed.pk).update(
        status=DeliveryStatus.FAILED, subject="Broken one"
    )
    ok = _delivery(appointment)
    EmailDelivery.objects.filter(pk=ok.pk).update(status=DeliveryStatus.SENT, subject="Fine one")
    client.force_login(admin_user)

    response = client.get("/admin/notifications/emaildelivery/", {"status__exact": "failed"})

    assert response.status_code == 200
    assert "Broken one" in response.text and "Fine one" not in response.text


def test_digest_lists_tomorrows_schedule_in_the_providers_zone_once(
    frozen_now, time_machine, client_user, other_client_user, clinic_provider, service
):
    clinic_provider.timezone = "Europe/Berlin"
    clinic_provider.save()
    tomorrow_9 = NOW.replace(day=13, hour=8)  # 09:00 in Berlin (CET)
    first = AppointmentFactory(
        client=client_user, provider=clinic_provider, service=service, start=tomorrow_9
    )
    AppointmentFactory(
        client=other_client_user,
        provider=clinic_provider,
        service=service,
        start=tomorrow_9 + timedelta(hours=2),
    )
    AppointmentFactory(  # the day after: not in the digest
        client=client_user,
        provider=clinic_provider,
        service=service,
        start=shifted(tomorrow_9, days=1),
    )
    AppointmentFactory(  # cancelled: not in the digest
        client=other_client_user,
        provider=clinic_provider,
        service=service,
        start=tomorrow_9 + timedelta(hours=4),
        status=AppointmentStatus.CANCELLED,
    )
    time_machine.move_to(NOW.replace(hour=18))

    send_provider_digests.delay()
    send_provider_digests.delay()

    [message] = mail.outbox
    assert message.to == [clinic_provider.user.email]
    assert message.subject == "[SmartBook] Your schedule for Tuesday 13 January 2026"
    assert "(times in Europe/Berlin)" in message.body
    assert "09:00-09:30  Physiotherapy - " + client_user.get_full_name() in message.body
    assert "11:00-11:30" in message.body
    assert "13:00" not in message.body
    assert f"/appointments/{first.pk}" in message.alternatives[0][0]


def test_no_digest_for_a_provider_with_an_empty_day(frozen_now, clinic_provider):
    assert services.provider_digests_send(now=timezone.now()) == 0
    assert mail.outbox == []


def test_reminder_sweep_task_reports_what_it_did(appointment, time_machine):
    book(appointment)
    time_machine.move_to(shifted(APPOINTMENT_START, hours=-24))

    result = send_due_reminders.apply().get()

    assert result == {"reminders_sent": 2, "emails_redriven": 0}


def test_an_email_that_cannot_be_rendered_is_marked_failed_not_retried_forever(appointment):
    delivery = services.email_delivery_create(
        recipient=appointment.client,
        kind=NotificationKind.DIGEST,  # a digest for a client, without a day: unrenderable
        subject="Your schedule",
    )

    send_appointment_email.delay(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.last_error.startswith("Could not render the email")
    assert services.email_deliveries_redrive(now=NOW + timedelta(hours=1)) == 0


def test_an_event_task_run_twice_notifies_once(appointment):
    """A worker lost after the fan-out committed but before the ack: the broker redelivers the
    task, and the second run writes and sends nothing."""
    from notifications.models import Notification, Reminder
    from notifications.tasks import notify_appointment_event

    arguments = {
        "kind": NotificationKind.BOOKED,
        "appointment_id": appointment.pk,
        "actor_id": appointment.client_id,
        "event_id": "0f" * 16,
    }
    with time_machine.travel(NOW, tick=False):
        first = notify_appointment_event.delay(**arguments).get()
        counts = (Notification.objects.count(), EmailDelivery.objects.count())
        reminders = Reminder.objects.count()
        second = notify_appointment_event.delay(**arguments).get()

    assert len(first) == 2 and second == []
    assert counts == (2, 2)
    assert (Notification.objects.count(), EmailDelivery.objects.count()) == counts
    assert Reminder.objects.count() == reminders > 0
    assert len(mail.outbox) == 2  # client and provider, once each


def test_two_events_of_one_appointment_both_notify(appointment):
    from notifications.models import Notification
    from notifications.tasks import notify_appointment_event

    with time_machine.travel(NOW, tick=False):
        for event_id in ("a" * 32, "b" * 32):
            notify_appointment_event.delay(
                kind=NotificationKind.BOOKED, appointment_id=appointment.pk, event_id=event_id
            )

    assert Notification.objects.count() == 4
    assert len(mail.outbox) == 4


class FailFirstInboxInsert:
    """A database that drops the connection once: the first INSERT into the inbox raises
    the OperationalError the driver would, every later query runs normally."""

    def __init__(self) -> None:
        self.failures = 0

    def __call__(self, execute, sql, params, many, context):
        if self.failures == 0 and sql.startswith('INSERT INTO "notifications_notification"'):
            self.failures += 1
            from django.db import OperationalError

            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


def test_a_transient_database_error_is_retried_and_the_inbox_written_once(appointment):
    from django.db import connection

    from notifications.models import Notification, Reminder
    from notifications.tasks import notify_appointment_event

    failing = FailFirstInboxInsert()
    arguments = {
        "kind": NotificationKind.BOOKED,
        "appointment_id": appointment.pk,
        "actor_id": appointment.client_id,
        "event_id": "1e" * 16,
    }
    with time_machine.travel(NOW, tick=False), connection.execute_wrapper(failing):
        result = notify_appointment_event.delay(**arguments)

    assert failing.failures == 1
    assert result.successful() and len(result.get()) == 2
    recipients = sorted(Notification.objects.values_list("user_id", flat=True))
    assert recipients == sorted([appointment.client_id, appointment.provider.user_id])
    assert EmailDelivery.objects.count() == 2
    assert Reminder.objects.filter(appointment=appointment).count() > 0
    assert len(mail.outbox) == 2  # client and provider, once each
