"""Reads of notifications: inbox, feeds, schedules."""

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from notifications.messages import zone_of
from notifications.models import CalendarFeed, Notification
from scheduling.models import ACTIVE_STATUSES, Appointment

FEED_LIMIT = 500


def notification_list(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


def notification_get(*, user, pk: int) -> Notification:
    notification = Notification.objects.filter(user=user, pk=pk).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


def calendar_feed_by_token(*, token: str) -> CalendarFeed | None:
    return (
        CalendarFeed.objects.select_related("user")
        .filter(token=token, revoked_at=None, user__is_active=True)
        .first()
    )


def _appointments() -> QuerySet[Appointment]:
    return Appointment.objects.select_related("client", "provider__user", "service")


def user_upcoming_appointments(*, user, now: datetime | None = None) -> list[Appointment]:
    """A client's own appointments, or a provider's schedule, from now on (active only)."""
    now = now or timezone.now()
    return list(
        _appointments()
        .filter(Q(client=user) | Q(provider__user=user))
        .filter(status__in=ACTIVE_STATUSES, end__gte=now)
        .order_by("start")[:FEED_LIMIT]
    )


def provider_day_schedule(*, provider, day: date) -> list[Appointment]:
    """The provider's active appointments that start on `day` in the provider's zone."""
    zone = zone_of(provider.timezone)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return list(
        _appointments()
        .filter(provider=provider, status__in=ACTIVE_STATUSES, start__gte=start, start__lt=end)
        .order_by("start")
    )
