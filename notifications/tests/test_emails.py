import re

from django.core import mail
from django.utils import timezone

from notifications.models import DeliveryStatus, EmailDelivery, Notification, NotificationKind
from notifications.tests.factories import book, cancel, close, move
from notifications.tests.support import APPOINTMENT_START, shifted
from scheduling.manage_links import appointment_for_link
from scheduling.models import AppointmentStatus


def _mail_to(address: str):
    matches = [m for m in mail.outbox if m.to == [address]]
    assert len(matches) == 1, [m.to for m in mail.outbox]
    return matches[0]


def _html(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_booking_emails_client_and_provider_each_in_their_own_zone(appointment):
    book(appointment)

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [appointment.client.email, appointment.provider.user.email]
    )
    to_client = _mail_to(appointment.client.email)
    assert to_client.subject.startswith("[SmartBook] Appointment booked: Physiotherapy")
    assert "Wednesday 14 January 2026, 10:00 GMT (Europe/London)" in to_client.body
    assert "Wednesday 14 January 2026, 10:00 GMT (Europe/London)" in _html(to_client)
    assert "Dr. Ada Jones" in to_client.body

    to_provider = _mail_to(appointment.provider.user.email)
    # The provider's user lives in New York: 10:00 UTC is 05:00 EST there.
    assert "Wednesday 14 January 2026, 05:00 EST (America/New_York)" in to_provider.body
    assert to_provider.subject.startswith("[SmartBook] New booking")
    assert appointment.client.get_full_name() in to_provider.body


def test_email_has_text_and_html_parts_and_links_to_the_appointment(appointment, settings):
    settings.SITE_URL = "https://book.example.org"
    book(appointment)

    # The client's links manage the appointment without logging in (manage by link).
    message = _mail_to(appointment.client.email)
    manage = re.search(r"View:       (https://book\.example\.org/manage/([^/\s]+))\n", message.body)
    assert manage, message.body
    url, token = manage.groups()
    assert appointment_for_link(token, now=timezone.now()) == appointment
    assert message.content_subtype == "plain"
    assert f"Reschedule: {url}/reschedule" in message.body
    assert f"Cancel:     {url}/cancel" in message.body
    html = _html(message)
    assert html.lstrip().startswith("<!doctype html>")
    assert f'href="{url}/reschedule"' in html and f'href="{url}/cancel"' in html
    assert "<" not in message.body

    # The provider's go to the signed-in pages.
    to_provider = _mail_to(appointment.provider.user.email)
    page = f"https://book.example.org/appointments/{appointment.pk}"
    assert f"View:       {page}" in to_provider.body
    assert f"Reschedule: {page}/reschedule" in to_provider.body
    assert "/manage/" not in to_provider.body and "/manage/" not in _html(to_provider)


def test_booking_creates_inbox_entries_for_both_and_records_sent_deliveries(appointment):
    book(appointment)

    titles = dict(Notification.objects.values_list("user__email", "title"))
    assert titles == {
        appointment.client.email: "Appointment booked",
        appointment.provider.user.email: "New booking",
    }
    deliveries = EmailDelivery.objects.filter(appointment=appointment)
    assert {d.status for d in deliveries} == {DeliveryStatus.SENT}
    assert all(d.attempts == 1 and d.sent_at is not None for d in deliveries)


def test_no_email_when_the_recipient_turned_emails_off(appointment):
    profile = appointment.client.profile
    profile.email_notifications = False
    profile.save()

    book(appointment)

    assert [m.to for m in mail.outbox] == [[appointment.provider.user.email]]
    assert Notification.objects.filter(user=appointment.client).count() == 1


def test_provider_cancellation_tells_the_client_who_and_why(appointment):
    book(appointment)
    mail.outbox.clear()

    cancel(appointment, actor=appointment.provider.user, reason="Dr. Jones is ill")

    to_client = _mail_to(appointment.client.email)
    assert to_client.subject.startswith("[SmartBook] Appointment cancelled")
    assert "cancelled by the provider. Reason: Dr. Jones is ill" in to_client.body
    to_provider = _mail_to(appointment.provider.user.email)
    assert "cancelled by you." in to_provider.body
    note = Notification.objects.get(user=appointment.client, kind=NotificationKind.CANCELLED)
    assert "Reason: Dr. Jones is ill" in note.body


def test_staff_cancellation_is_attributed_to_staff(appointment, admin_user):
    cancel(appointment, actor=admin_user, reason="Clinic closed")

    assert (
        "cancelled by our staff. Reason: Clinic closed" in _mail_to(appointment.client.email).body
    )


def test_reschedule_email_names_old_and_new_time(appointment):
    move(appointment, new_start=shifted(APPOINTMENT_START, days=1, hours=4))

    body = _mail_to(appointment.client.email).body
    assert "Thursday 15 January 2026, 14:00 GMT (Europe/London)" in body
    assert "It was on Wednesday 14 January 2026, 10:00 GMT (Europe/London)." in body


def test_completed_asks_the_client_for_feedback_and_only_notifies_the_provider_in_app(
    appointment, time_machine
):
    time_machine.move_to(shifted(APPOINTMENT_START, hours=1))
    close(appointment, status=AppointmentStatus.COMPLETED, actor=appointment.provider.user)

    message = _mail_to(appointment.client.email)
    assert message.subject.startswith("[SmartBook] How was your appointment?")
    assert f"/appointments/{appointment.pk}#feedback" in message.body
    assert message.attachments == []
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(
        user=appointment.provider.user, kind=NotificationKind.COMPLETED
    ).exists()


def test_no_show_tells_the_client(appointment, time_machine):
    time_machine.move_to(shifted(APPOINTMENT_START, hours=1))
    close(appointment, status=AppointmentStatus.NO_SHOW, actor=appointment.provider.user)

    assert "We missed you" in _mail_to(appointment.client.email).body


def test_confirmation_still_queued_after_a_cancellation_is_skipped_not_sent(appointment):
    from notifications import services

    delivery = services.email_delivery_create(
        recipient=appointment.client,
        kind=NotificationKind.BOOKED,
        subject="Appointment booked",
        appointment=appointment,
    )
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save()

    status = services.email_delivery_send(delivery_id=delivery.pk, final_attempt=False)

    delivery.refresh_from_db()
    assert (status, delivery.status) == (DeliveryStatus.SKIPPED, DeliveryStatus.SKIPPED)
    assert mail.outbox == []


def test_names_with_markup_are_escaped_in_html_but_not_in_text(appointment):
    client = appointment.client
    client.first_name, client.last_name = "<b>Tom", "& Jerry"
    client.save()

    book(appointment)

    to_provider = _mail_to(appointment.provider.user.email)
    assert "&lt;b&gt;Tom &amp; Jerry" in _html(to_provider)
    assert "<b>Tom & Jerry" in to_provider.body


def test_a_failing_receiver_is_logged_and_does_not_fail_the_committed_booking(db, caplog):
    from scheduling import events

    events.appointment_booked.send(sender="scheduling", appointment_id="not-an-id", actor_id=None)

    # Not a transient error, so not retried: the task fails, and Celery logs it with the cause.
    assert "notifications.tasks.notify_appointment_event" in caplog.text
    assert "not-an-id" in caplog.text
    assert Notification.objects.count() == 0
