"""The group sessions' minimum check in the beat schedule (idempotent: existing entries, maybe
edited by staff, are kept)."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    from notifications.beat import ensure_beat_schedule

    ensure_beat_schedule(
        interval_model=apps.get_model("django_celery_beat", "IntervalSchedule"),
        crontab_model=apps.get_model("django_celery_beat", "CrontabSchedule"),
        task_model=apps.get_model("django_celery_beat", "PeriodicTask"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0008_extra_reminders"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, migrations.RunPython.noop)]
