"""Holds: a time offered from the waitlist is held for its client as an appointment row with
status "held" until `hold_expires_at`, then "released" (kept as the offer's history).

On PostgreSQL the provider's exclusion constraint covers a live hold like an appointment, so
nobody else's booking can overlap it, and leaves released holds out. The client's constraint
leaves out both: a hold is not the client's time yet (a client may be offered an earlier time
that overlaps the appointment accepting it would move).
"""

import django.core.validators
import django.db.models.manager
from django.conf import settings
from django.db import migrations, models


PROVIDER_CONSTRAINT = "appointment_provider_no_overlap"
CLIENT_CONSTRAINT = "appointment_client_no_overlap"


def _constraints(provider_excluded: str, client_excluded: str) -> list[str]:
    return [
        f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS {PROVIDER_CONSTRAINT}",
        f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS {CLIENT_CONSTRAINT}",
        f"""ALTER TABLE scheduling_appointment ADD CONSTRAINT {PROVIDER_CONSTRAINT}
            EXCLUDE USING gist (
                provider_id WITH =,
                tstzrange(blocked_start, blocked_end, '[)') WITH &&
            ) WHERE (status NOT IN ({provider_excluded}))""",
        f"""ALTER TABLE scheduling_appointment ADD CONSTRAINT {CLIENT_CONSTRAINT}
            EXCLUDE USING gist (
                client_id WITH =,
                tstzrange(start, "end", '[)') WITH &&
            ) WHERE (status NOT IN ({client_excluded}))""",
    ]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in _constraints("'cancelled', 'released'", "'cancelled', 'held', 'released'"):
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in _constraints("'cancelled'", "'cancelled'"):
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0001_initial"),
        ("scheduling", "0002_no_overlap_constraints"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="appointment",
            options={
                "base_manager_name": "with_holds",
                "default_manager_name": "objects",
                "ordering": ["start"],
            },
        ),
        migrations.AlterModelManagers(
            name="appointment",
            managers=[
                ("with_holds", django.db.models.manager.Manager()),
                ("objects", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AddField(
            model_name="appointment",
            name="hold_expires_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="bookingpolicy",
            name="hold_minutes",
            field=models.PositiveSmallIntegerField(
                default=15,
                help_text="How long a time offered from the waitlist stays held for the client.",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(1440),
                ],
            ),
        ),
        migrations.AddField(
            model_name="bookingpolicy",
            name="offer_batch_size",
            field=models.PositiveSmallIntegerField(
                default=1,
                help_text="How many waitlisted clients are offered a freed time at once (first to accept takes it).",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(5),
                ],
            ),
        ),
        migrations.AlterField(
            model_name="appointment",
            name="status",
            field=models.CharField(
                choices=[
                    ("booked", "Booked"),
                    ("confirmed", "Confirmed"),
                    ("completed", "Completed"),
                    ("cancelled", "Cancelled"),
                    ("no_show", "No-show"),
                    ("held", "Held"),
                    ("released", "Released"),
                ],
                default="booked",
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("hold_expires_at__isnull", False), ("status__in", ("held", "released"))
                    ),
                    models.Q(
                        models.Q(("status__in", ("held", "released")), _negated=True),
                        ("hold_expires_at__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="appt_hold_expiry_iff_hold",
            ),
        ),
        migrations.AlterField(
            model_name="appointment",
            name="source",
            field=models.CharField(
                choices=[
                    ("recommendation", "Recommendation"),
                    ("manual", "Manual"),
                    ("staff", "Staff"),
                    ("waitlist", "Waitlist"),
                ],
                default="manual",
                max_length=16,
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
