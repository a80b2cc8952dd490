"""Writes of external calendars: connecting, choosing calendars, syncing, and pushing
appointments out. Busy time is written through `providers.services` (the snapshot's side).

A sync claims its connection first (`claimed_until`, one UPDATE that only one worker wins),
so two runs never overlap; the import itself replaces the source's busy time under the
source's row lock (`providers.services.external_busy_replace`). A failed sync keeps the
busy time known so far, records the error in plain words and backs off.
"""

from calendars.services.connections import (
    connection_calendars_update,
    connection_create_caldav,
    connection_create_ics,
    connection_delete,
)
from calendars.services.push import (
    appointment_has_receiving_calendar,
    appointment_href,
    appointment_push,
)
from calendars.services.sync import (
    ON_DEMAND_GAP,
    SyncBusy,
    SyncTooSoon,
    backoff,
    connection_sync,
    connection_sync_now,
    connections_due,
    dav_client_for,
)

__all__ = [
    "ON_DEMAND_GAP",
    "SyncBusy",
    "SyncTooSoon",
    "appointment_has_receiving_calendar",
    "appointment_href",
    "appointment_push",
    "backoff",
    "connection_calendars_update",
    "connection_create_caldav",
    "connection_create_ics",
    "connection_delete",
    "connection_sync",
    "connection_sync_now",
    "connections_due",
    "dav_client_for",
]
