"""Domain events of scheduling, so that later apps react without scheduling importing them.

- Signals below are sent by the booking services *on commit* only (DESIGN.md invariant 2):
  notifications listens to them and enqueues its Celery tasks.
- `booking_hooks` run *inside* the booking transaction; a hook that raises a Django
  ValidationError rolls the booking back (used by recommendations to check and record which
  recommended slot the client picked).
"""

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.dispatch import Signal

# kwargs: appointment_id, actor_id
appointment_booked = Signal()
# kwargs: appointment_id, actor_id, provider_id, old_start, old_end
appointment_rescheduled = Signal()
# kwargs: appointment_id, actor_id, provider_id, blocked_start, blocked_end (the time it
# freed), reason
appointment_cancelled = Signal()
# kwargs: appointment_id, actor_id
appointment_completed = Signal()
# kwargs: appointment_id, actor_id
appointment_no_show = Signal()
# kwargs: appointment_id, actor_id (the client said they are coming: `confirmed_at` set)
appointment_confirmed = Signal()

BookingHook = Callable[..., None]
booking_hooks: list[BookingHook] = []


def register_booking_hook(hook: BookingHook) -> BookingHook:
    """Register `hook(*, appointment, context)`; `context` is the dict given to the service."""
    if hook not in booking_hooks:
        booking_hooks.append(hook)
    return hook


def run_booking_hooks(*, appointment: Any, context: dict[str, Any]) -> None:
    for hook in booking_hooks:
        hook(appointment=appointment, context=context)


def send_on_commit(signal: Signal, **kwargs: Any) -> None:
    transaction.on_commit(lambda: signal.send(sender="scheduling", **kwargs))
