"""Invariant 1 in the database: no two non-cancelled appointments of a provider overlap
(buffers included), and no client holds two overlapping appointments.

PostgreSQL only (btree_gist exclusion constraints over half-open tstzrange). On SQLite the
booking service serialises writers with BEGIN IMMEDIATE instead.
"""

from django.db import migrations

PROVIDER_CONSTRAINT = "appointment_provider_no_overlap"
CLIENT_CONSTRAINT = "appointment_client_no_overlap"

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE scheduling_appointment ADD CONSTRAINT {PROVIDER_CONSTRAINT}
        EXCLUDE USING gist (
            provider_id WITH =,
            tstzrange(blocked_start, blocked_end, '[)') WITH &&
        ) WHERE (status <> 'cancelled')""",
    f"""ALTER TABLE scheduling_appointment ADD CONSTRAINT {CLIENT_CONSTRAINT}
        EXCLUDE USING gist (
            client_id WITH =,
            tstzrange(start, "end", '[)') WITH &&
        ) WHERE (status <> 'cancelled')""",
]

BACKWARD = [
    f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS {CLIENT_CONSTRAINT}",
    f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS {PROVIDER_CONSTRAINT}",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, backward)]
