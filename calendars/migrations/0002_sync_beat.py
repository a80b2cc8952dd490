"""The external calendars' sync in the beat schedule (idempotent: an existing entry, maybe
edited by staff, is kept)."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    from calendars.beat import ensure_calendar_beat

    ensure_calendar_beat(
        interval_model=apps.get_model("django_celery_beat", "IntervalSchedule"),
        task_model=apps.get_model("django_celery_beat", "PeriodicTask"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("calendars", "0001_connections"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, migrations.RunPython.noop)]
