"""Domain errors of scheduling. Each says its HTTP status; the API's one exception handler
(smartbook/api/errors.py) turns it into the error envelope.

- `SlotUnavailable`: the time is taken (provider or client overlap, incl. the database's
  exclusion constraint) -> 409 Conflict naming `start`.
- `BookingRuleViolation`: a booking rule refuses the request (notice, horizon, limits,
  cut-off, working hours, ...) -> 400 naming `field`.
- `InvalidTransition`: the appointment's status does not allow the change -> 409 Conflict.
- `HoldGone`: the held time asked for was released or expired -> 409 Conflict naming `hold`.
- `LinkInvalid`: a signed link (manage by link, a waitlist offer, an attendance answer) that
  was changed, or names nothing of its client -> 400 naming `token`.

Plain Python on purpose (no Django or DRF import): the pure cores may raise or name them.
"""


class SchedulingError(Exception):
    status_code = 409
    code = "conflict"
    field = "non_field_errors"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SlotUnavailable(SchedulingError):
    field = "start"


class BookingRuleViolation(SchedulingError):
    status_code = 400
    code = "invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class InvalidTransition(SchedulingError):
    field = "status"


class HoldGone(SchedulingError):
    field = "hold"
    code = "hold_gone"

    def __init__(self, message: str = "This time has gone: it is no longer held for you.") -> None:
        super().__init__(message)


class LinkInvalid(SchedulingError):
    status_code = 400
    code = "invalid"
    field = "token"

    def __init__(self, message: str = "This link is not valid.") -> None:
        super().__init__(message)
