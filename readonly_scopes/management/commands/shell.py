"""Django's shell, started read-only with --read-only or writable with --writes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from importlib import import_module
from typing import Any

from django.core.management.base import CommandParser, OutputWrapper
from django.core.management.commands import shell

from readonly_scopes.backstop import follow_open_connections
from readonly_scopes.backstop.coverage import COVERAGE
from readonly_scopes.console import ModePrompt, status_line
from readonly_scopes.errors import SHELL_READ_ONLY_SOURCE
from readonly_scopes.flag import set_flag
from readonly_scopes.tracebacks import short_errors_in_console

IPYTHON_EXTENSION = "--ext=readonly_scopes"
MODE_HELP = (
    " With --read-only, database writes are blocked for the whole shell;"
    " with --writes they are allowed even when DJANGO_READ_ONLY is set."
)


class ModeOptions:
    """--read-only and --writes, for shell and for other shells built like it."""

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)  # type: ignore[misc]
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--read-only",
            action="store_true",
            help=(
                "Block database writes for this shell, in Django and, unless "
                "DJANGO_READ_ONLY_ENFORCE says otherwise, in the databases too."
            ),
        )
        mode.add_argument(
            "--writes",
            action="store_true",
            help="Allow database writes for this shell, even with DJANGO_READ_ONLY.",
        )

    def handle(self, **options: Any) -> None:
        # Shell toggles act on the process flag: IPython runs some cells in a
        # copied context, where a scope would not last.
        if options["read_only"]:
            set_flag(True, SHELL_READ_ONLY_SOURCE)
            # The database refuses what the guard cannot see, unless the
            # DJANGO_READ_ONLY_ENFORCE setting says otherwise.
            COVERAGE.cover_read_only_process(SHELL_READ_ONLY_SOURCE)
            follow_open_connections()
        elif options["writes"]:
            set_flag(False, "manage.py shell --writes")
        super().handle(**options)  # type: ignore[misc]


class Command(ModeOptions, shell.Command):
    help = shell.Command.help + MODE_HELP

    def get_auto_imports(self) -> list[str] | None:
        imports: list[str] | None = super().get_auto_imports()
        return None if imports is None else [*imports, "readonly_scopes"]

    def python(self, options: dict[str, Any]) -> None:
        plain_console(self.stdout, partial(super().python, options))

    def ipython(self, options: dict[str, Any]) -> None:
        from IPython import start_ipython

        self.stdout.write(status_line(ipython=True))
        start_ipython(argv=[IPYTHON_EXTENSION], user_ns=self.get_namespace(**options))

    def bpython(self, options: dict[str, Any]) -> None:
        # Let Django fall through to the next shell before anything is printed.
        import_module("bpython")

        self.stdout.write(status_line(ipython=False))
        super().bpython(options)


def plain_console(stdout: OutputWrapper, start: Callable[[], None]) -> None:
    """Start Python's own console with the mode in its banner and prompt."""
    stdout.write(status_line(ipython=False))
    sys.ps1 = ModePrompt(getattr(sys, "ps1", ">>> "))
    with short_errors_in_console():
        start()
