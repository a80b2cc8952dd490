from datetime import timedelta

from django.core import mail
from icalendar import Calendar

from notifications.tests.factories import book, cancel, move
from notifications.tests.support import APPOINTMENT_START, shifted


def _invite(address: str) -> Calendar:
    [message] = [m for m in mail.outbox if m.to == [address]]
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == ("invite.ics", "text/calendar")
    return Calendar.from_ical(content)


def _event(calendar: Calendar):
    [event] = calendar.walk("VEVENT")
    return event


def test_booking_invite_is_a_request_with_utc_times_and_both_parties(appointment):
    book(appointment)

    calendar = _invite(appointment.client.email)
    event = _event(calendar)
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert str(event["UID"]) == f"{appointment.uid}@smartbook"
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == APPOINTMENT_START and start.utcoffset() == timedelta(0)
    assert end == shifted(APPOINTMENT_START, minutes=30) and end.utcoffset() == timedelta(0)
    assert b"DTSTART:20260114T100000Z" in calendar.to_ical()
    assert str(event["ORGANIZER"]) == f"mailto:{appointment.provider.user.email}"
    assert event["ORGANIZER"].params["CN"] == "Dr. Ada Jones"
    assert str(event["ATTENDEE"]) == f"mailto:{appointment.client.email}"
    assert str(event["URL"]).endswith(f"/appointments/{appointment.pk}")


def test_reschedule_keeps_the_uid_and_raises_the_sequence(appointment):
    book(appointment)
    first = _event(_invite(appointment.client.email))
    mail.outbox.clear()

    new_start = shifted(APPOINTMENT_START, days=1, hours=3)
    move(appointment, new_start=new_start)

    calendar = _invite(appointment.client.email)
    second = _event(calendar)
    assert calendar["METHOD"] == "REQUEST"
    assert second["UID"] == first["UID"]
    assert second["SEQUENCE"] == first["SEQUENCE"] + 1 == 1
    assert second.decoded("DTSTART") == new_start
    assert second.decoded("DTEND") == shifted(new_start, minutes=30)


def test_cancellation_sends_cancel_for_the_same_event(appointment):
    book(appointment)
    uid = _event(_invite(appointment.client.email))["UID"]
    mail.outbox.clear()

    cancel(appointment, actor=appointment.client, reason="Feeling better")

    for address in (appointment.client.email, appointment.provider.user.email):
        calendar = _invite(address)
        event = _event(calendar)
        assert calendar["METHOD"] == "CANCEL"
        assert event["STATUS"] == "CANCELLED"
        assert event["UID"] == uid
        assert event.decoded("DTSTART") == APPOINTMENT_START
