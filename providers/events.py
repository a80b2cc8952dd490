"""Domain events of providers, so that apps above (the waitlist) react to a changed schedule
without providers importing them. Sent by `providers.services` on commit only.

- `working_hours_changed(provider_id)`: the provider's week was replaced; appointments may
  now lie outside it, and new hours may have freed time.
- `time_off_added(provider_id, time_off_id, start, end)`: a period off was recorded;
  appointments inside it are no longer workable.
- `time_off_removed(provider_id, start, end)`: a period off was taken back; its time may be
  free to book again.

Changes made elsewhere (the provider admin's inlines) send nothing: the waitlist's beat sweep
finds their effects.
"""

from typing import Any

from django.db import transaction
from django.dispatch import Signal

working_hours_changed = Signal()
time_off_added = Signal()
time_off_removed = Signal()


def send_on_commit(signal: Signal, **kwargs: Any) -> None:
    transaction.on_commit(lambda: signal.send(sender="providers", **kwargs))
