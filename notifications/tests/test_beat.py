import importlib
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django_celery_beat.models import PeriodicTask

from notifications import beat, services
from notifications.models import NotificationSettings


def _schedule() -> dict[str, tuple]:
    entries = {}
    for task in PeriodicTask.objects.select_related("interval", "crontab"):
        if task.interval:
            entries[task.name] = (task.task, task.interval.every, task.interval.period)
        else:
            entries[task.name] = (task.task, task.crontab.hour, task.crontab.minute)
    return entries


def _run_data_migration() -> None:
    """Run migration 0002's function against the models as they were at that migration.

    (Rows written by migrate itself may have been flushed by an earlier transactional test.)
    """
    state = MigrationExecutor(connection).loader.project_state(
        ("notifications", "0002_beat_schedule")
    )
    migration = importlib.import_module("notifications.migrations.0002_beat_schedule")
    migration.create_schedule(state.apps, None)


def test_data_migration_is_applied_and_creates_the_beat_schedule(db):
    applied = MigrationRecorder(connection).applied_migrations()
    assert ("notifications", "0002_beat_schedule") in applied
    PeriodicTask.objects.all().delete()

    _run_data_migration()
    _run_data_migration()  # idempotent

    assert _schedule() == {
        beat.REMINDERS_TASK_NAME: ("notifications.tasks.send_due_reminders", 5, "minutes"),
        beat.RETRAIN_TASK_NAME: ("recommendations.tasks.retrain_recommender", "2", "30"),
        beat.DIGEST_TASK_NAME: ("notifications.tasks.send_provider_digests", "18", "0"),
        beat.WAITLIST_SWEEP_TASK_NAME: ("waitlist.tasks.sweep_waitlist", 2, "minutes"),
        beat.WEBHOOKS_TASK_NAME: ("integrations.tasks.send_due_webhooks", 1, "minutes"),
        beat.NO_SHOW_RETRAIN_TASK_NAME: ("attendance.tasks.retrain_no_show", "3", "0"),
        beat.NO_SHOW_RESCORE_TASK_NAME: ("attendance.tasks.rescore_upcoming", "4", "0"),
        beat.NO_SHOW_ACT_TASK_NAME: ("notifications.tasks.act_on_no_show_risk", 5, "minutes"),
        beat.SESSION_MINIMUM_TASK_NAME: ("scheduling.tasks.check_session_minimums", 5, "minutes"),
    }
    assert str(PeriodicTask.objects.get(name=beat.DIGEST_TASK_NAME).crontab.timezone) == "UTC"


def test_the_waitlist_sweep_migration_is_applied(db):
    applied = MigrationRecorder(connection).applied_migrations()
    assert ("notifications", "0005_waitlist_sweep_beat") in applied


def test_the_webhooks_beat_migration_is_applied(db):
    applied = MigrationRecorder(connection).applied_migrations()
    assert ("notifications", "0006_webhooks_beat") in applied


def test_the_no_show_beat_migration_is_applied(db):
    applied = MigrationRecorder(connection).applied_migrations()
    assert ("notifications", "0007_no_show_beat") in applied


def test_the_extra_reminders_migration_is_applied(db):
    applied = MigrationRecorder(connection).applied_migrations()
    assert ("notifications", "0008_extra_reminders") in applied


def test_the_session_minimum_beat_migration_is_applied(db):
    applied = MigrationRecorder(connection).applied_migrations()
    assert ("notifications", "0009_session_minimum_beat") in applied


def test_schedule_command_is_idempotent_and_keeps_staff_edits(db):
    call_command("notifications_beat_schedule", stdout=StringIO())
    PeriodicTask.objects.filter(name=beat.REMINDERS_TASK_NAME).update(enabled=False)

    call_command("notifications_beat_schedule", stdout=StringIO())
    call_command("notifications_beat_schedule", stdout=StringIO())

    # The entries this command keeps (external calendars store their own: calendars.beat).
    assert PeriodicTask.objects.exclude(task__startswith="calendars.").count() == 9
    assert PeriodicTask.objects.get(name=beat.REMINDERS_TASK_NAME).enabled is False


def test_changing_the_digest_hour_moves_the_beat_entry(db):
    call_command("notifications_beat_schedule", stdout=StringIO())
    row = NotificationSettings.load()
    row.digest_hour = 17

    services.notification_settings_save(instance=row)

    assert PeriodicTask.objects.get(name=beat.DIGEST_TASK_NAME).crontab.hour == "17"


def test_invalid_lead_times_are_refused_naming_the_field(db):
    row = NotificationSettings.load()
    row.reminder_lead_minutes = [0, "soon"]

    with pytest.raises(ValidationError) as error:
        services.notification_settings_save(instance=row)

    assert "reminder_lead_minutes" in error.value.message_dict
    assert NotificationSettings.load().reminder_lead_minutes == [1440, 60]


def test_staff_edit_notification_settings_in_the_admin(admin_user, client):
    client.force_login(admin_user)
    NotificationSettings.load()
    url = "/admin/notifications/notificationsettings/1/change/"

    bad = client.post(
        url, {"reminder_lead_minutes": "[-5]", "digest_hour": "18", "max_email_retries": "5"}
    )
    good = client.post(
        url, {"reminder_lead_minutes": "[2880, 30]", "digest_hour": "7", "max_email_retries": "3"}
    )

    assert bad.status_code == 200 and "between 1 and" in bad.text
    assert good.status_code == 302
    row = NotificationSettings.load()
    assert (row.reminder_lead_minutes, row.digest_hour, row.max_email_retries) == ([2880, 30], 7, 3)
