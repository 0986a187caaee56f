from __future__ import annotations

from django.db import models


class Item(models.Model):
    name = models.CharField(max_length=100)
    owner = models.CharField(max_length=100, default="")

    def __str__(self) -> str:
        return self.name
