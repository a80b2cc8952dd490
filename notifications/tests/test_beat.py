from io import StringIO

from django.core.management import call_command
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


def test_beat_schedule_exists_after_migrate(db):
    assert _schedule() == {
        beat.REMINDERS_TASK_NAME: ("notifications.tasks.send_due_reminders", 5, "minutes"),
        beat.RETRAIN_TASK_NAME: ("recommendations.tasks.retrain_recommender", "2", "30"),
        beat.DIGEST_TASK_NAME: ("notifications.tasks.send_provider_digests", "18", "0"),
    }
    assert str(PeriodicTask.objects.get(name=beat.DIGEST_TASK_NAME).crontab.timezone) == "UTC"


def test_schedule_command_is_idempotent_and_keeps_staff_edits(db):
    PeriodicTask.objects.filter(name=beat.REMINDERS_TASK_NAME).update(enabled=False)

    call_command("notifications_beat_schedule", stdout=StringIO())
    call_command("notifications_beat_schedule", stdout=StringIO())

    assert PeriodicTask.objects.count() == 3
    assert PeriodicTask.objects.get(name=beat.REMINDERS_TASK_NAME).enabled is False


def test_changing_the_digest_hour_moves_the_beat_entry(db):
    row = NotificationSettings.load()
    row.digest_hour = 17

    services.notification_settings_save(instance=row)

    assert PeriodicTask.objects.get(name=beat.DIGEST_TASK_NAME).crontab.hour == "17"
