"""Appointment rows written straight with the ORM, their times derived as booking derives them."""

from datetime import datetime, timedelta

import factory
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from providers.models import Service
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.models import Appointment


def appointment_times(
    *, service: Service, start: datetime, end: datetime | None = None
) -> dict[str, datetime]:
    """`end` from the service's duration (unless given) and the provider's time held around it
    from the service's buffers: the booking service's arithmetic."""
    end = end or start + timedelta(minutes=service.duration_minutes)
    return {
        "start": start,
        "end": end,
        "blocked_start": start - timedelta(minutes=service.buffer_before_minutes),
        "blocked_end": end + timedelta(minutes=service.buffer_after_minutes),
    }


def _tomorrow_at_ten() -> datetime:
    return (timezone.now() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)


class AppointmentFactory(factory.django.DjangoModelFactory):
    """An appointment row that skips the booking rules, to arrange a test's calendar.

    Pass `start` (and `end` for a length other than the service's); `end`, `blocked_start` and
    `blocked_end` follow from `appointment_times`.
    """

    class Meta:
        model = Appointment

    client = factory.SubFactory(UserFactory, role=Role.CLIENT)
    service = factory.SubFactory(ServiceFactory)
    provider = factory.SubFactory(ProviderFactory)
    start = factory.LazyFunction(_tomorrow_at_ten)

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        times = appointment_times(
            service=kwargs["service"], start=kwargs["start"], end=kwargs.get("end")
        )
        return {**times, **kwargs}
