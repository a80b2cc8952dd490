"""Writes of the waitlist: entries (join, update, leave), matching freed time to entries and
holding it for them, the offers' answers (accept, decline, expire), rebooking clients
whose appointment the provider's change displaced, and standby places for the time of
appointments at high risk of a no-show.

Each public service is one transaction of its own; matching and the offers' answers are
durable entry points like scheduling's booking services (`transaction.atomic(durable=True)`),
so a service that returns has committed, released the provider's lock and sent its events.
"""

from waitlist.services.entries import (
    RangeInput,
    entries_expire,
    entry_join,
    entry_leave,
    entry_update,
)
from waitlist.services.matching import entries_match_sweep, entry_match, match_freed_time
from waitlist.services.offers import offer_accept, offer_decline, offers_expire
from waitlist.services.rebooking import (
    displaced_by_cancellation,
    displaced_move,
    displaced_offer_again,
    displaced_rebook,
)
from waitlist.services.standby import standby_place, standby_places_close

__all__ = [
    "RangeInput",
    "displaced_by_cancellation",
    "displaced_move",
    "displaced_offer_again",
    "displaced_rebook",
    "entries_expire",
    "entries_match_sweep",
    "entry_join",
    "entry_leave",
    "entry_match",
    "entry_update",
    "match_freed_time",
    "offer_accept",
    "offer_decline",
    "offers_expire",
    "standby_place",
    "standby_places_close",
]
