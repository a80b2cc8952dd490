"""Domain events of the waitlist, for notifications (emails, in-app), sent on commit only.

- `offer_made(offer)`: a time is held for the offer's client; tell them (with the links of
  `waitlist.links`).
- `offer_gone(offer)`: another client of the batch took the time, or it stopped being
  bookable; the offer's links no longer work.
- `offer_expired(offer)`: nobody answered before `expires_at`; the hold is released.
- `offer_accepted(offer, appointment)`: booked (or moved) through the booking service;
  scheduling's own `appointment_booked` / `appointment_rescheduled` follows too.
- `standby_placed(place)`: a client who can come at short notice is first in line for the
  time of an appointment at high risk of a no-show; tell them.

Receivers get the rows as committed; they take ids into their tasks.
"""

from typing import Any

from django.db import transaction
from django.dispatch import Signal

offer_made = Signal()
offer_gone = Signal()
offer_expired = Signal()
offer_accepted = Signal()
standby_placed = Signal()


def send_on_commit(signal: Signal, **kwargs: Any) -> None:
    transaction.on_commit(lambda: signal.send(sender="waitlist", **kwargs))
