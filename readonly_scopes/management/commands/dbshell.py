"""Django's dbshell, with the client started read-only when writes are blocked."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.core.management.commands import dbshell
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from readonly_scopes.audit import writes_enabled
from readonly_scopes.db_clients import read_only_client, read_only_how
from readonly_scopes.state import writes_allowed


class Command(dbshell.Command):
    help = (
        dbshell.Command.help
        + " With --read-only, or when DJANGO_READ_ONLY blocks writes, the client"
        " starts in the database's own read-only mode; --writes starts it writable."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--read-only",
            action="store_true",
            help="Start the client in the database's own read-only mode.",
        )
        mode.add_argument(
            "--writes",
            action="store_true",
            help="Start the client writable, even with DJANGO_READ_ONLY.",
        )

    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        read_only = not writes_allowed(connection.alias)
        if options["read_only"] or (not options["writes"] and read_only):
            self.run_read_only(connection, options)
        else:
            if options["writes"]:
                writes_enabled("manage.py dbshell --writes")
                self.stderr.write(
                    "readonly_scopes: database writes are ALLOWED in this "
                    f"{connection.client.executable_name} session (--writes)."
                )
            super().handle(**options)

    def run_read_only(
        self, connection: BaseDatabaseWrapper, options: dict[str, Any]
    ) -> None:
        plain_client = connection.client
        read_only = read_only_client(connection)
        alias = options["database"]
        database = "" if alias == DEFAULT_DB_ALIAS else f" --database {alias}"
        self.stderr.write(
            "readonly_scopes: database writes are BLOCKED in this "
            f"{plain_client.executable_name} session ({read_only_how(connection)}). "
            f"For writes, start `manage.py dbshell{database} --writes`."
        )
        connection.client = read_only
        try:
            super().handle(**options)
        finally:
            connection.client = plain_client
