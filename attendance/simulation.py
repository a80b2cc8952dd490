"""Writing a generated clinic (`attendance.generator`) to the database, so training, scoring
and their benchmarks run on rows read back by `attendance.history`, as in production.

Rows that the database would refuse as overlaps (one provider's or one client's time twice)
are left out. Used by the tests and `bench_no_show`; it creates users, providers and services
and is not for a live clinic.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Case, DateTimeField, Value, When

from accounts.models import Role, User
from attendance.generator import GeneratedClinic
from attendance.models import ReminderDelivery
from providers.models import Provider, Service, ServiceCategory
from scheduling.models import Appointment

BATCH = 2000


def _without_overlaps(history: pd.DataFrame) -> pd.DataFrame:
    blocking = history["status"] != "cancelled"
    keep = np.ones(len(history), dtype=bool)
    for key in ("provider_id", "client_id"):
        rows = history[blocking & keep].sort_values([key, "start"], kind="stable")
        # The latest end of any earlier row of the same provider (or client): a row starting
        # before it would overlap (dropping a row leaves the rest clear, if a few too many go).
        ends = rows["end"].astype("int64")
        latest = ends.groupby(rows[key]).cummax().groupby(rows[key]).shift()
        clash = rows.index[(rows["start"].astype("int64") < latest).to_numpy()]
        keep[history.index.get_indexer(clash)] = False
    return history[keep]


def generated_clinic_write(
    clinic: GeneratedClinic, *, label: str = "generated", shift: timedelta = timedelta(0)
) -> dict[int, int]:
    """Write the clinic (its times moved by `shift`); returns generated id -> appointment pk."""
    history = clinic.history.copy()
    for column in ("created_at", "start", "end", "cancelled_at", "confirmed_at"):
        history[column] = pd.to_datetime(history[column], utc=True) + shift
    history = _without_overlaps(history.reset_index(drop=True))
    with transaction.atomic():
        category, _ = ServiceCategory.objects.get_or_create(
            slug=f"{label}-services", defaults={"name": f"{label} services"}
        )
        services = {
            number: Service.objects.create(
                category=category, name=f"{label} service {number}", duration_minutes=30
            )
            for number in sorted(history["service_id"].unique())
        }
        provider_users = User.objects.bulk_create(
            User(email=f"{label}-provider-{n}@example.test", role=Role.PROVIDER, password="!")
            for n in sorted(history["provider_id"].unique())
        )
        providers = {
            int(n): Provider.objects.create(user=user, display_name=f"{label} provider {n}")
            for n, user in zip(sorted(history["provider_id"].unique()), provider_users, strict=True)
        }
        clients = history.groupby("client_id")["client_zone"].first()
        client_users = User.objects.bulk_create(
            (
                User(
                    email=f"{label}-client-{n}@example.test",
                    role=Role.CLIENT,
                    timezone=zone,
                    password="!",
                )
                for n, zone in clients.items()
            ),
            batch_size=BATCH,
        )
        client_pk = {int(n): user.pk for n, user in zip(clients.index, client_users, strict=True)}
        rows = [
            Appointment(
                client_id=client_pk[int(row.client_id)],
                provider=providers[int(row.provider_id)],
                service=services[int(row.service_id)],
                start=row.start,
                end=row.end,
                blocked_start=row.start,
                blocked_end=row.end,
                status=row.status,
                cancelled_at=None if pd.isna(row.cancelled_at) else row.cancelled_at,
                confirmed_at=None if pd.isna(row.confirmed_at) else row.confirmed_at,
            )
            for row in history.itertuples()
        ]
        created = Appointment.objects.bulk_create(rows, batch_size=BATCH)
        ids = {int(g): a.pk for g, a in zip(history["id"], created, strict=True)}
        # `created_at` is set on insert; the booking instants are written afterwards.
        booked = dict(zip(history["id"], history["created_at"], strict=True))
        pairs = [(ids[int(g)], booked[g].to_pydatetime()) for g in history["id"]]
        for start in range(0, len(pairs), 500):
            chunk = pairs[start : start + 500]
            Appointment.objects.filter(pk__in=[pk for pk, _ in chunk]).update(
                created_at=Case(
                    *(When(pk=pk, then=Value(at)) for pk, at in chunk),
                    output_field=DateTimeField(),
                )
            )
        reminders = clinic.reminders[clinic.reminders["appointment_id"].isin(ids.keys())]
        ReminderDelivery.objects.bulk_create(
            (
                ReminderDelivery(
                    appointment_id=ids[int(row.appointment_id)],
                    delivered_at=(pd.Timestamp(row.delivered_at) + shift).to_pydatetime(),
                )
                for row in reminders.itertuples()
            ),
            batch_size=BATCH,
        )
    return ids
