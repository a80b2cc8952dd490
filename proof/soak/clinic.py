"""The soak's clinic: little capacity, so that many clients compete for the same slots."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo


@dataclass
class Clinic:
    offers: list[tuple[int, int]]  # (provider id, service id)
    clients: list[tuple[int, str]]  # (user id, bearer token)
    window_start: datetime
    window_end: datetime


def seed_clinic(*, clients: int, providers: int, token_seconds: int) -> Clinic:
    """A small clinic with little capacity, so that many clients compete for the same slots."""
    from django.db import transaction
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import Profile, Role, User
    from providers.models import Provider, Service, ServiceCategory, WorkingHours
    from scheduling.models import BookingPolicy

    with transaction.atomic():
        policy = BookingPolicy.load()
        policy.min_notice_minutes = 60
        policy.client_cutoff_hours = 0
        policy.max_client_appointments_per_day = None
        policy.save()
        category = ServiceCategory.objects.create(name="Soak", slug="soak")
        services = [
            Service.objects.create(
                category=category,
                name="Consultation",
                duration_minutes=30,
                buffer_after_minutes=10,
            ),
            Service.objects.create(
                category=category,
                name="Check-up",
                duration_minutes=20,
                buffer_before_minutes=5,
                buffer_after_minutes=5,
            ),
        ]
        offers = []
        for index in range(providers):
            user = User.objects.create_user(
                f"soak-provider-{index}@example.com", None, role=Role.PROVIDER
            )
            provider = Provider.objects.create(
                user=user, display_name=f"Soak Provider {index}", timezone="Europe/London"
            )
            provider.services.set(services)
            WorkingHours.objects.bulk_create(
                WorkingHours(
                    provider=provider, weekday=day, start_time=dtime(9), end_time=dtime(17)
                )
                for day in range(7)
            )
            offers.extend((provider.pk, service.pk) for service in services)
        client_rows = []
        for index in range(clients):
            user = User.objects.create_user(f"soak-client-{index}@example.com", None)
            Profile.objects.get_or_create(user=user)
            token = AccessToken.for_user(user)
            token.set_exp(lifetime=timedelta(seconds=token_seconds))
            client_rows.append((user.pk, str(token)))

    london = ZoneInfo("Europe/London")
    tomorrow = (datetime.now(tz=london) + timedelta(days=1)).date()
    window_start = datetime.combine(tomorrow, dtime(0), tzinfo=london).astimezone(UTC)
    window_end = datetime.combine(tomorrow + timedelta(days=2), dtime(0), tzinfo=london).astimezone(
        UTC
    )
    return Clinic(offers, client_rows, window_start, window_end)
