"""Models with every common field type and relation, to drive real ORM traffic."""

from __future__ import annotations

import uuid

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100, unique=True)
    email = models.EmailField(blank=True)
    born = models.DateField(null=True)
    rating = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    active = models.BooleanField(default=True)


class Tag(models.Model):
    slug = models.SlugField(unique=True)


class Book(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, models.CASCADE, related_name="books")
    tags = models.ManyToManyField(Tag, blank=True, related_name="books")
    pages = models.PositiveIntegerField(default=0)
    price = models.FloatField(default=0)
    big = models.BigIntegerField(default=0)
    small = models.SmallIntegerField(default=0)
    published = models.DateTimeField(null=True)
    reading_time = models.DurationField(null=True)
    starts_at = models.TimeField(null=True)
    uuid = models.UUIDField(default=uuid.uuid4)
    data = models.JSONField(default=dict)
    cover = models.BinaryField(null=True)
    website = models.URLField(blank=True)
    ip = models.GenericIPAddressField(null=True)
    text = models.TextField(blank=True)
    attachment = models.FileField(blank=True)

    class Meta:
        indexes = (models.Index(fields=["title", "pages"]),)


class Profile(models.Model):
    author = models.OneToOneField(Author, models.CASCADE)
    bio = models.TextField()
