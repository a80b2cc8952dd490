"""The reminder claim's losing side and reminders_sync's in-place move, on any database.

The race itself runs with threads on PostgreSQL in test_reminders.py. Here the competing
sweep's claim is committed at the one instant that matters, just before this sweep's claim
UPDATE runs, through Django's own `execute_wrapper` hook on the real connection.
"""

from datetime import timedelta

from django.core import mail
from django.db import connection

from notifications import services
from notifications.models import EmailDelivery, Notification, NotificationKind, Reminder
from notifications.tests.factories import book
from notifications.tests.support import APPOINTMENT_START, shifted
from scheduling.tests.factories import appointment_times

CLAIM_SQL = 'UPDATE "notifications_reminder" SET "sent_at"'


class CompetingSweep:
    """Another worker that claims the same reminder first: just before this sweep's first
    claim UPDATE runs, the same UPDATE for the same row is committed on the same connection
    (autocommit), so the claim then finds the row already sent."""

    def __init__(self, claimed_at):
        self.claimed_at, self.claims_seen, self.taken_id = claimed_at, 0, None

    def __call__(self, execute, sql, params, many, context):
        if sql.startswith(CLAIM_SQL):
            self.claims_seen += 1
            if self.taken_id is None:
                self.taken_id = params[1]  # SET "sent_at" = %s WHERE ("id" = %s AND ...)
                execute(
                    'UPDATE "notifications_reminder" SET "sent_at" = %s WHERE "id" = %s',
                    [self.claimed_at, self.taken_id],
                    False,
                    context,
                )
        return execute(sql, params, many, context)


def test_a_sweep_that_loses_the_claim_sends_nothing_for_that_reminder(appointment, time_machine):
    book(appointment)
    mail.outbox.clear()
    time_machine.move_to(shifted(APPOINTMENT_START, hours=-24), tick=False)
    competitor_time = shifted(APPOINTMENT_START, hours=-24, seconds=-5)
    competing = CompetingSweep(competitor_time)

    with connection.execute_wrapper(competing):
        sent = services.reminders_send_due()

    assert competing.claims_seen == 2  # the client's and the provider's 24-hour reminders
    assert sent == 1  # only the one nobody else claimed
    lost = Reminder.objects.get(pk=competing.taken_id)
    won = (
        Reminder.objects.filter(appointment=appointment, lead_minutes=1440)
        .exclude(pk=lost.pk)
        .get()
    )
    assert lost.sent_at == competitor_time  # the winner's claim stands, not overwritten
    assert won.sent_at == shifted(APPOINTMENT_START, hours=-24)
    # Nothing at all is sent for the lost reminder: no inbox entry, no email.
    reminders = Notification.objects.filter(kind=NotificationKind.REMINDER)
    assert list(reminders.values_list("user_id", flat=True)) == [won.recipient_id]
    emails = EmailDelivery.objects.filter(kind=NotificationKind.REMINDER)
    assert set(emails.values_list("recipient_id", flat=True)) == {won.recipient_id}
    assert [m.to for m in mail.outbox] == [[won.recipient.email]]


# --- reminders_sync: a move that did not bump the sequence ------------------------------


def _move_in_place(appointment, new_start) -> None:
    for name, value in appointment_times(service=appointment.service, start=new_start).items():
        setattr(appointment, name, value)
    appointment.save()


def test_a_move_without_a_sequence_bump_reschedules_the_same_reminder_rows(appointment):
    book(appointment)
    before = {r.pk: r for r in Reminder.objects.filter(appointment=appointment)}
    assert len(before) == 4 and {r.sequence for r in before.values()} == {0}

    # The time changes in place (an admin edit, a data fix), the sequence stays 0.
    new_start = shifted(APPOINTMENT_START, hours=2)
    _move_in_place(appointment, new_start)
    services.reminders_sync(appointment=appointment)

    after = {r.pk: r for r in Reminder.objects.filter(appointment=appointment)}
    assert after.keys() == before.keys()  # the same rows, none added
    for reminder in after.values():
        assert reminder.cancelled_at is None
        assert reminder.sent_at is None
        assert reminder.due_at == new_start - timedelta(minutes=reminder.lead_minutes)


def test_sync_twice_without_a_change_touches_nothing(appointment):
    book(appointment)
    rows = list(Reminder.objects.filter(appointment=appointment).values())
    services.reminders_sync(appointment=appointment)
    assert list(Reminder.objects.filter(appointment=appointment).values()) == rows


def test_a_cancelled_reminder_of_the_current_sequence_comes_back_when_due_again(appointment):
    book(appointment)
    reminder = Reminder.objects.filter(appointment=appointment, lead_minutes=60).first()
    Reminder.objects.filter(pk=reminder.pk).update(cancelled_at=shifted(APPOINTMENT_START, days=-1))
    services.reminders_sync(appointment=appointment)
    reminder.refresh_from_db()
    assert reminder.cancelled_at is None
    assert reminder.due_at == shifted(APPOINTMENT_START, hours=-1)
    assert Reminder.objects.filter(appointment=appointment).count() == 4


def test_a_sent_reminder_is_never_revived_by_a_move(appointment, time_machine):
    book(appointment)
    time_machine.move_to(shifted(APPOINTMENT_START, minutes=-30), tick=False)
    assert services.reminders_send_due() == 4
    _move_in_place(appointment, shifted(APPOINTMENT_START, hours=2))
    services.reminders_sync(appointment=appointment)
    rows = Reminder.objects.filter(appointment=appointment)
    assert rows.count() == 4 and not rows.filter(sent_at=None).exists()
    assert services.reminders_send_due() == 0
