from __future__ import annotations

from typing import Any

from django.db import migrations

BOOKS = [
    ("The Left Hand of Darkness", "Ursula K. Le Guin"),
    ("Invisible Cities", "Italo Calvino"),
    ("The Remains of the Day", "Kazuo Ishiguro"),
    ("Beloved", "Toni Morrison"),
    ("Pedro Páramo", "Juan Rulfo"),
]


def add_books(apps: Any, schema_editor: Any) -> None:
    Book = apps.get_model("library", "Book")
    Book.objects.bulk_create(
        Book(title=title, author=author) for title, author in BOOKS
    )


def remove_books(apps: Any, schema_editor: Any) -> None:
    apps.get_model("library", "Book").objects.filter(
        title__in=[title for title, _ in BOOKS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("library", "0001_initial")]

    operations = [migrations.RunPython(add_books, remove_books)]
