"""Domain errors of scheduling; the API maps them to HTTP statuses (scheduling/api/errors.py).

- `SlotUnavailable`: the time is taken (provider or client overlap, incl. the database's
  exclusion constraint) -> 409 Conflict.
- `BookingRuleViolation`: a booking rule refuses the request (notice, horizon, limits,
  cut-off, working hours, ...) -> 400 naming `field`.
- `InvalidTransition`: the appointment's status does not allow the change -> 409 Conflict.
"""


class SchedulingError(Exception):
    field = "non_field_errors"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SlotUnavailable(SchedulingError):
    field = "start"


class BookingRuleViolation(SchedulingError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class InvalidTransition(SchedulingError):
    field = "status"
