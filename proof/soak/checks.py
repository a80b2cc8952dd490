"""After the load: the database against what the server promised each client."""

from proof.soak.load import ClientRun

PROVIDER_OVERLAPS_SQL = """
SELECT count(*) FROM scheduling_appointment a
JOIN scheduling_appointment b ON a.provider_id = b.provider_id AND a.id < b.id
WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
  AND tstzrange(a.blocked_start, a.blocked_end, '[)')
      && tstzrange(b.blocked_start, b.blocked_end, '[)')
"""

CLIENT_OVERLAPS_SQL = """
SELECT count(*) FROM scheduling_appointment a
JOIN scheduling_appointment b ON a.client_id = b.client_id AND a.id < b.id
WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
  AND tstzrange(a.start, a."end", '[)') && tstzrange(b.start, b."end", '[)')
"""


def check_invariants(runs: list[ClientRun]) -> dict[str, int]:
    """Compare the database with what the server promised each client."""
    from django.db import connection

    from scheduling.models import Appointment, AppointmentChange

    with connection.cursor() as cursor:
        cursor.execute(PROVIDER_OVERLAPS_SQL)
        provider_overlaps = cursor.fetchone()[0]
        cursor.execute(CLIENT_OVERLAPS_SQL)
        client_overlaps = cursor.fetchone()[0]

    certain = {run.user_id: run for run in runs if not run.uncertain}
    rows = {
        row["id"]: row
        for row in Appointment.objects.filter(client_id__in=list(certain)).values(
            "id", "client_id", "start", "status"
        )
    }
    changes: dict[int, int] = {}
    for client_id in AppointmentChange.objects.filter(
        appointment__client_id__in=list(certain)
    ).values_list("appointment__client_id", flat=True):
        changes[client_id] = changes.get(client_id, 0) + 1

    lost = 0  # promised, but missing or not as promised
    phantom = 0  # written although the answer was not 2xx
    for run in certain.values():
        for pk, promise in run.promises.items():
            row = rows.pop(pk, None)
            if row is None or row["client_id"] != run.user_id:
                lost += 1
                continue
            is_cancelled = row["status"] == "cancelled"
            if (promise.status == "cancelled") != is_cancelled or row["start"] != promise.start:
                lost += 1
        phantom += abs(changes.get(run.user_id, 0) - run.reschedules)
    phantom += len(rows)  # rows of these clients that no 2xx answer created
    return {
        "provider_overlaps": provider_overlaps,
        "client_overlaps": client_overlaps,
        "overlaps": provider_overlaps + client_overlaps,
        "lost_bookings": lost,
        "phantom_writes": phantom,
        "uncertain_clients": len(runs) - len(certain),
    }


def notification_counts() -> dict:
    """What the event fan-out wrote (in the request, or on the worker with --broker)."""
    from django.db.models import Count

    from notifications.models import EmailDelivery, Notification

    emails = dict(
        EmailDelivery.objects.values_list("status").annotate(n=Count("id")).order_by("status")
    )
    return {"inbox_entries": Notification.objects.count(), "emails": emails}
