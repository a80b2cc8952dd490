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
