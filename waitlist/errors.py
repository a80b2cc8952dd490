"""Domain errors of the waitlist. Plain Python like `scheduling.errors`: each carries its
HTTP status, code, field and message, and the API's one exception handler maps it.

- `LinkInvalid` (scheduling's, shared by every signed link): a signed offer link that was
  tampered with, or names no offer of its client -> 400 naming `token`.
- `LinkUsed`: the link's offer was already answered -> 409 naming `token`.

A time that is no longer held (expired, taken by another client of the batch, released) is
scheduling's own `HoldGone` (409, "This time has gone.").
"""

from scheduling.errors import LinkInvalid, SchedulingError

__all__ = ["LinkInvalid", "LinkUsed", "WaitlistError"]


class WaitlistError(SchedulingError):
    """A refusal of the waitlist: scheduling's domain error (status, code, field, message)."""


class LinkUsed(WaitlistError):
    code = "link_used"
    field = "token"

    def __init__(self, message: str = "This link was already used.") -> None:
        super().__init__(message)
