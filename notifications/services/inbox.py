"""The in-app inbox and the personal calendar feed."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.models import CalendarFeed, Notification, NotificationSettings


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at=None).update(read_at=timezone.now())


@transaction.atomic
def calendar_feed_get_or_create(*, user) -> CalendarFeed:
    """The user's active feed, made on first use. Two first uses at once both find none; the
    one-active-feed constraint lets one insert win, and the other reads the winner's row."""
    feed = CalendarFeed.objects.filter(user=user, revoked_at=None).first()
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            return CalendarFeed.objects.create(user=user)
    except IntegrityError:
        return CalendarFeed.objects.get(user=user, revoked_at=None)


@transaction.atomic
def calendar_feed_regenerate(*, user) -> CalendarFeed:
    """A new secret URL; the old one stops working at once."""
    CalendarFeed.objects.select_for_update().filter(user=user, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    return CalendarFeed.objects.create(user=user)


@transaction.atomic
def notification_settings_save(*, instance: NotificationSettings) -> NotificationSettings:
    """Validate and save the settings row; keep the digest's beat entry at `digest_hour`."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    from notifications.beat import DIGEST_TASK_NAME

    instance.pk = 1
    instance.full_clean()
    instance.save()
    task = PeriodicTask.objects.filter(name=DIGEST_TASK_NAME).first()
    if (
        task is not None
        and task.crontab is not None
        and task.crontab.hour != str(instance.digest_hour)
    ):
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute="0",
            hour=str(instance.digest_hour),
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        task.crontab = crontab
        task.save()
    return instance
