"""Model building blocks shared by the apps."""

from typing import Self

from django.db import models


class SingletonModel(models.Model):
    """A table of one row (pk=1) of staff-editable settings, created with its defaults on
    first read."""

    class Meta:
        abstract = True

    @classmethod
    def load(cls) -> Self:
        row, _ = cls.objects.get_or_create(pk=1)
        return row


class IdempotencyRecord(models.Model):
    """One `Idempotency-Key` of one owner (a user or an API key) and the first answer to it
    (`smartbook.api.idempotency`). `status_code` is empty while that request runs."""

    owner = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.owner}: {self.key}"
