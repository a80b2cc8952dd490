"""The frames of `attendance.features` read from the database: the one place that turns
appointments into the features' input (the generator builds the same frames)."""

from collections.abc import Iterable

import pandas as pd

from attendance.features import HISTORY_COLUMNS, REMINDER_COLUMNS
from attendance.models import ReminderDelivery
from scheduling.models import Appointment

_FIELDS = (
    "id",
    "client_id",
    "service_id",
    "provider_id",
    "client__timezone",
    "created_at",
    "start",
    "end",
    "status",
    "cancelled_at",
    "confirmed_at",
)


def _frame(rows: Iterable[tuple], columns: Iterable[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(list(rows), columns=list(columns))
    for column in frame.columns:
        if column.endswith("_at") or column in ("start", "end"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def history_of_clients(client_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Every appointment (not holds) of these clients, or of everyone: one query."""
    appointments = Appointment.objects.all()
    if client_ids is not None:
        appointments = appointments.filter(client_id__in=list(client_ids))
    rows = appointments.order_by().values_list(*_FIELDS).iterator(chunk_size=5000)
    return _frame(rows, HISTORY_COLUMNS)


def reminders_of(appointment_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """The delivered reminders of these appointments, or of all: one query."""
    deliveries = ReminderDelivery.objects.order_by()
    if appointment_ids is not None:
        deliveries = deliveries.filter(appointment_id__in=list(appointment_ids))
    return _frame(
        deliveries.values_list(*REMINDER_COLUMNS).iterator(chunk_size=5000), REMINDER_COLUMNS
    )
