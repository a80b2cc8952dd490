"""The frames of `attendance.features` read from the database: the one place that turns
appointments into the features' input (the generator builds the same frames)."""

from collections.abc import Iterable

import pandas as pd

from attendance.features import HISTORY_COLUMNS, REMINDER_COLUMNS
from attendance.models import ReminderDelivery
from scheduling.models import Appointment
from scheduling.selectors import UtcIsoText

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


def _is_instant(column: str) -> bool:
    return column.endswith("_at") or column in ("start", "end")


def _frame(rows: Iterable[tuple], columns: Iterable[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(list(rows), columns=list(columns))
    for column in frame.columns:
        if _is_instant(column):
            # ISO 8601 with or without fractions (SQLite leaves them out when zero).
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame


def _instant_text_rows(queryset, fields: Iterable[str]) -> list[tuple]:
    """`values_list(*fields)` with every instant as UTC ISO text (`UtcIsoText`): pandas
    parses a column of text at once, where the driver would build a datetime per value (the
    largest cost of reading a day's history for scoring). `_frame` turns them back into
    instants, NULLs into NaT."""
    fields = list(fields)
    texts = {f"{name}__utc": UtcIsoText(name) for name in fields if _is_instant(name)}
    columns = [f"{name}__utc" if _is_instant(name) else name for name in fields]
    return list(queryset.annotate(**texts).values_list(*columns))


# What the features read of a client's other appointments (`features._past_attendance`).
_PAST_FIELDS = ("id", "client_id", "end", "status", "cancelled_at")


def history_of_clients(client_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Every appointment (not holds) of these clients, or of everyone: one query."""
    appointments = Appointment.objects.all()
    if client_ids is not None:
        appointments = appointments.filter(client_id__in=list(client_ids))
    rows = appointments.order_by().values_list(*_FIELDS).iterator(chunk_size=5000)
    return _frame(rows, HISTORY_COLUMNS)


def history_for_scoring(appointment_ids: Iterable[int], *, statuses=None) -> pd.DataFrame:
    """The history `features.feature_frame` needs to score these appointments (those in
    `statuses`, if given), in two queries: their own full rows first, then only the columns
    the features read of their clients' other appointments (the rest left empty), which
    keeps scoring a day's appointments fast."""
    ids = list(appointment_ids)
    own_rows = Appointment.objects.filter(pk__in=ids)
    if statuses is not None:
        own_rows = own_rows.filter(status__in=list(statuses))
    own = _frame(_instant_text_rows(own_rows.order_by("pk"), _FIELDS), HISTORY_COLUMNS)
    if own.empty:
        return own
    others = _frame(
        _instant_text_rows(
            Appointment.objects.filter(client_id__in=own["client_id"].unique().tolist()).order_by(),
            _PAST_FIELDS,
        ),
        _PAST_FIELDS,
    )
    others = others[~others["id"].isin(own["id"])]
    for column in HISTORY_COLUMNS:
        if column not in others.columns:
            others[column] = (
                pd.Series(pd.NaT, index=others.index, dtype=own[column].dtype)
                if (column.endswith("_at") or column == "start")
                else pd.Series(None, index=others.index, dtype=own[column].dtype)
            )
    if others.empty:
        return own
    return pd.concat([own, others[list(HISTORY_COLUMNS)]], ignore_index=True)


def reminders_of(appointment_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """The delivered reminders of these appointments, or of all: one query."""
    deliveries = ReminderDelivery.objects.order_by()
    if appointment_ids is not None:
        deliveries = deliveries.filter(appointment_id__in=list(appointment_ids))
    rows = deliveries.values_list(*REMINDER_COLUMNS).iterator(chunk_size=5000)
    return _frame(rows, REMINDER_COLUMNS)
