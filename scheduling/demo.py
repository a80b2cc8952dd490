"""The demo's group classes: a session a few days ahead with several seats taken, so the
booking page shows seats left and the provider's schedule an attendee list."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from providers.models import Service
from scheduling.errors import SchedulingError
from scheduling.selectors import available_slots
from scheduling.services import appointment_book_in_transaction

SEATS_TAKEN = 5


def create_demo_group_sessions() -> int:
    """Seats booked (through the booking service, in the caller's transaction) so that one
    session of each group class a few days ahead holds `SEATS_TAKEN` participants: a session
    already under way is topped up, otherwise the first free time opens one (idempotent)."""
    now = timezone.now()
    clients = list(User.objects.filter(role=Role.CLIENT, is_active=True).order_by("pk"))
    booked = 0
    for service in Service.objects.filter(capacity__gt=1, is_active=True):
        slots = available_slots(
            service=service, start=now + timedelta(days=3), end=now + timedelta(days=10)
        )
        under_way = [slot for slot in slots if slot.seats_left < service.capacity]
        if not (under_way or slots):
            continue
        slot = (under_way or slots)[0]
        provider = service.providers.get(pk=slot.provider_id)
        seated = service.capacity - slot.seats_left
        for client in clients:
            if seated >= SEATS_TAKEN:
                break
            try:
                with transaction.atomic():  # a refused seat (that client's day) rolls back alone
                    appointment_book_in_transaction(
                        client=client, provider=provider, service=service, start=slot.start
                    )
            except SchedulingError:
                continue
            seated += 1
            booked += 1
    return booked
