"""Django's test command, with writes allowed however DJANGO_READ_ONLY is set."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import test

from readonly_scopes.test_runs import start_test_run


class Command(test.Command):
    def handle(self, *test_labels: str, **options: Any) -> None:
        line = start_test_run()
        if line is not None:
            self.stderr.write(line)
        super().handle(*test_labels, **options)
