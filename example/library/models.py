from __future__ import annotations

from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=200)
    author = models.CharField(max_length=200)
    times_borrowed = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.title} by {self.author}"
