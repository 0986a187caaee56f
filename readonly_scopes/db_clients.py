"""
The databases' own command-line clients, started in their own read-only mode
for ``dbshell``. Each is a safety net against accidents, not a lock: a person
at the prompt can switch it off (the README says how), as with
``enable_writes()`` in ``shell``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.management import CommandError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.client import BaseDatabaseClient

Arguments = list[str]
Environment = dict[str, str]


@dataclass(frozen=True)
class ReadOnlyStart:
    """How one client is started read-only, and how to say so."""

    how: str
    change: Callable[[Arguments, Environment], tuple[Arguments, Environment]]


def sqlite_read_only(
    args: Arguments, env: Environment
) -> tuple[Arguments, Environment]:
    return [args[0], "-readonly", *args[1:]], env


def postgresql_read_only(
    args: Arguments, env: Environment
) -> tuple[Arguments, Environment]:
    # libpq sends PGOPTIONS to the server as session settings; keep the user's.
    given = env.get("PGOPTIONS", os.environ.get("PGOPTIONS", ""))
    options = f"{given} -c default_transaction_read_only=on".strip()
    return args, {**env, "PGOPTIONS": options}


def mysql_read_only(args: Arguments, env: Environment) -> tuple[Arguments, Environment]:
    # The client insists on --defaults-file coming first; the client runs the
    # init command again whenever it reconnects.
    first = 2 if args[1:2] and args[1].startswith("--defaults-file=") else 1
    init = "--init-command=SET SESSION TRANSACTION READ ONLY"
    return [*args[:first], init, *args[first:]], env


READ_ONLY_STARTS = {
    "sqlite": ReadOnlyStart("sqlite3 -readonly", sqlite_read_only),
    "postgresql": ReadOnlyStart(
        "PGOPTIONS='-c default_transaction_read_only=on'", postgresql_read_only
    ),
    "mysql": ReadOnlyStart(
        "--init-command='SET SESSION TRANSACTION READ ONLY'", mysql_read_only
    ),
}


def read_only_client(connection: BaseDatabaseWrapper) -> BaseDatabaseClient:
    """The connection's client, made to start in the database's read-only mode."""
    start = READ_ONLY_STARTS.get(connection.vendor)
    if start is None:
        raise CommandError(
            f"readonly_scopes cannot start the client of database "
            f"{connection.alias!r} ({connection.vendor}) read-only; it can for "
            "SQLite, PostgreSQL and MariaDB/MySQL. Start it with --writes if you "
            "mean to, or connect as a database user with read-only grants."
        )

    change = start.change

    class ReadOnlyClient(type(connection.client)):  # type: ignore[misc]
        @classmethod
        def settings_to_cmd_args_env(
            cls, settings_dict: dict[str, Any], parameters: Iterable[str]
        ) -> tuple[Sequence[str], dict[str, str] | None]:
            args, env = super().settings_to_cmd_args_env(settings_dict, parameters)
            return change(list(args), dict(env or {}))

    return ReadOnlyClient(connection)


def read_only_how(connection: BaseDatabaseWrapper) -> str:
    return READ_ONLY_STARTS[connection.vendor].how
