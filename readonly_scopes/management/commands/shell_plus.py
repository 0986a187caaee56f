"""
django-extensions' shell_plus with --read-only and --writes, the mode in the
banner and prompt, the IPython extension and ``readonly_scopes`` imported, as
in ``shell``. It wins over django-extensions' own command when
``readonly_scopes`` comes first in INSTALLED_APPS (a system check says so).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import readonly_scopes
from readonly_scopes.console import status_line
from readonly_scopes.management.commands.shell import (
    IPYTHON_EXTENSION,
    MODE_HELP,
    ModeOptions,
    plain_console,
)

try:
    from django_extensions.management.commands import shell_plus
except ImportError:
    from django.core.management.base import BaseCommand, CommandError

    NOT_INSTALLED = (
        "shell_plus comes from django-extensions, which is not installed: "
        "`python -m pip install django-extensions`, and add 'django_extensions' "
        "to INSTALLED_APPS after 'readonly_scopes'. Or use `manage.py shell`."
    )

    class Command(BaseCommand):
        help = "Needs django-extensions. " + NOT_INSTALLED

        def run_from_argv(self, argv: list[str]) -> None:
            # Before parsing: shell_plus's options are unknown here.
            sys.exit(NOT_INSTALLED)

        def handle(self, *args: Any, **options: Any) -> None:
            raise CommandError(NOT_INSTALLED)

else:
    Runner = Callable[[Any, dict[str, Any]], Any]

    def same_runner(parent: Any) -> Callable[[Runner], Runner]:
        """Keep the flags (--plain, --ipython...) of the method overridden."""
        decorate: Callable[[Runner], Runner] = shell_plus.shell_runner(  # type: ignore[no-untyped-call]
            flags=parent.runner_flags, name=parent.runner_name, help=parent.runner_help
        )
        return decorate

    class Command(ModeOptions, shell_plus.Command):  # type: ignore[no-redef]
        help = shell_plus.Command.help + MODE_HELP

        def get_imported_objects(self, options: dict[str, Any]) -> dict[str, Any]:
            return {
                **super().get_imported_objects(options),  # type: ignore[no-untyped-call]
                "readonly_scopes": readonly_scopes,
            }

        def get_ipython_arguments(self, options: dict[str, Any]) -> list[str]:
            given = super().get_ipython_arguments(options)  # type: ignore[no-untyped-call]
            return [*given, IPYTHON_EXTENSION]

        @same_runner(shell_plus.Command.get_plain)
        def get_plain(self, options: dict[str, Any]) -> Callable[[], None]:
            start = super().get_plain(options)
            return lambda: plain_console(self.stdout, start)

        @same_runner(shell_plus.Command.get_ipython)
        def get_ipython(self, options: dict[str, Any]) -> Any:
            start = super().get_ipython(options)
            if not callable(start):  # IPython is missing: the reason why.
                return start

            def start_with_mode() -> None:
                self.stdout.write(status_line(ipython=True))
                # Arguments after `--` replace IPYTHON_ARGUMENTS.
                if self.extra_args:
                    self.extra_args = [*self.extra_args, IPYTHON_EXTENSION]
                start()

            return start_with_mode

        @same_runner(shell_plus.Command.get_bpython)
        def get_bpython(self, options: dict[str, Any]) -> Any:
            start = super().get_bpython(options)
            if not callable(start):
                return start

            def start_with_mode() -> None:
                self.stdout.write(status_line(ipython=False))
                start()

            return start_with_mode
