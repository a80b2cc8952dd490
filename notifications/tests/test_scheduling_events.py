"""End to end through the scheduling services: their on-commit events reach our receivers."""

from django.core import mail
from icalendar import Calendar

from notifications.models import EmailDelivery, Notification, NotificationKind, Reminder
from notifications.tests.support import APPOINTMENT_START, shifted
from scheduling import services as scheduling
from waitlist.models import Offer


def _invite_event(address: str):
    """The one calendar invite sent to `address` (other emails, such as the waitlist's offer
    of a new time after a provider's cancellation, carry none)."""
    [message] = [m for m in mail.outbox if m.to == [address] and m.attachments]
    calendar = Calendar.from_ical(message.attachments[0][1])
    [event] = calendar.walk("VEVENT")
    return calendar["METHOD"], event


def _book(client_user, clinic_provider, service, capture):
    with capture(execute=True):
        return scheduling.appointment_book(
            client=client_user,
            provider=clinic_provider,
            service=service,
            start=APPOINTMENT_START,
            actor=client_user,
        )


def test_booking_through_the_service_confirms_and_schedules_reminders(
    frozen_now, client_user, clinic_provider, service, django_capture_on_commit_callbacks
):
    appointment = _book(client_user, clinic_provider, service, django_capture_on_commit_callbacks)

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [client_user.email, clinic_provider.user.email]
    )
    method, event = _invite_event(client_user.email)
    assert (method, event["SEQUENCE"]) == ("REQUEST", 0)
    assert Notification.objects.filter(kind=NotificationKind.BOOKED).count() == 2
    assert Reminder.objects.filter(appointment=appointment, cancelled_at=None).count() == 4


def test_reschedule_and_cancel_through_the_services_update_the_same_calendar_event(
    frozen_now, client_user, clinic_provider, service, django_capture_on_commit_callbacks
):
    appointment = _book(client_user, clinic_provider, service, django_capture_on_commit_callbacks)
    _, booked = _invite_event(client_user.email)
    mail.outbox.clear()

    new_start = shifted(APPOINTMENT_START, days=1, hours=4)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = scheduling.appointment_reschedule(
            appointment=appointment, new_start=new_start, actor=client_user
        )
    method, moved = _invite_event(client_user.email)
    assert method == "REQUEST"
    assert moved["UID"] == booked["UID"]
    assert moved["SEQUENCE"] == 1
    assert moved.decoded("DTSTART") == new_start
    assert set(
        Reminder.objects.filter(appointment=appointment, cancelled_at=None).values_list(
            "due_at", flat=True
        )
    ) == {shifted(new_start, hours=-24), shifted(new_start, hours=-1)}
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        scheduling.appointment_cancel(
            appointment=appointment, actor=clinic_provider.user, reason="Equipment broken"
        )
    method, cancelled = _invite_event(client_user.email)
    assert (method, cancelled["STATUS"], cancelled["UID"]) == ("CANCEL", "CANCELLED", booked["UID"])
    body = next(m.body for m in mail.outbox if m.to == [client_user.email] and m.attachments)
    assert "cancelled by the provider. Reason: Equipment broken" in body
    # The provider's cancellation with a reason puts the client on the waitlist at once
    # (smart rescheduling): the other email to them is the offer of a held new time.
    subjects = [m.subject for m in mail.outbox if m.to == [client_user.email]]
    assert len(subjects) == 2
    assert Offer.objects.filter(entry__client=client_user).exists()
    assert not Reminder.objects.filter(
        appointment=appointment, sent_at=None, cancelled_at=None
    ).exists()
    assert EmailDelivery.objects.filter(appointment=appointment).count() == 6
