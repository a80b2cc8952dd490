"""Which trained version of a model is in use: one rule for every learned model (the
recommender's `ModelVersion`, the no-show model's `NoShowModelVersion`).

A version model has `version` (a number that grows), `is_active` (at most one), `promoted`
(it beat what was in use when it was trained) and `notes`. Activating one deactivates the
others; rolling back reactivates the newest promoted version older than the active one, or
leaves none active (the app falls back to its rules or base rates).
"""

from __future__ import annotations

from django.db import models, transaction


def version_activate(version: models.Model, *, note: str = "") -> models.Model:
    """Make `version` the one in use (staff activation or roll back)."""
    model = type(version)
    with transaction.atomic():
        model.objects.select_for_update().filter(is_active=True).exclude(pk=version.pk).update(
            is_active=False
        )
        version.is_active = True
        if note:
            version.notes = (version.notes + "\n" + note).strip()
        version.save(update_fields=["is_active", "notes"])
    return version


def version_rollback(model: type[models.Model], *, note: str = "") -> models.Model | None:
    """Reactivate the newest promoted version older than the active one; with none,
    deactivate the active one. The version now in use, if any."""
    with transaction.atomic():
        active = model.objects.select_for_update().filter(is_active=True).first()
        if active is None:
            return None
        previous = (
            model.objects.filter(version__lt=active.version, promoted=True)
            .order_by("-version")
            .first()
        )
        active.is_active = False
        active.save(update_fields=["is_active"])
        if previous is None:
            return None
        return version_activate(previous, note=note or f"rolled back from {active}")
