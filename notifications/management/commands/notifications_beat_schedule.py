from django.core.management.base import BaseCommand
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from notifications.beat import ensure_beat_schedule
from notifications.models import NotificationSettings


class Command(BaseCommand):
    help = "Create the periodic jobs (reminders, retraining, digest) if missing. Idempotent."

    def handle(self, *args, **options):
        ensure_beat_schedule(
            interval_model=IntervalSchedule,
            crontab_model=CrontabSchedule,
            task_model=PeriodicTask,
            digest_hour=NotificationSettings.load().digest_hour,
        )
        names = ", ".join(PeriodicTask.objects.values_list("name", flat=True).order_by("name"))
        self.stdout.write(f"Beat schedule: {names}")
