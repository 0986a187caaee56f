"""A command that writes, as a job run from cron would."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tests.testapp.models import Item


class Command(BaseCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        Item.objects.create(name=options["name"], owner="command")
        self.stdout.write(f"added {options['name']}")
