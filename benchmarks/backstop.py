"""
What the backstop (DJANGO_READ_ONLY_ENFORCE) costs, per database.

1. Extra statements in a steady state: 10,000 queries inside one read_only()
   scope and 10,000 outside any, counted by the database side, not by
   readonly_scopes: SQLite's trace callback, PostgreSQL's protocol trace
   (CommandComplete messages from the server) and MariaDB's `Questions`
   status counter. Extra = statements received - queries sent; it must be 0.
2. The cost of one switch of the database's read-only mode (the statement the
   backstop sends), beside the cost of one `SELECT 1` through Django's
   cursor, and of entering and leaving a read_only() block with and without
   the backstop. Rounds interleave the measurements; figures are medians.

SQLite always runs; PostgreSQL and MariaDB join when POSTGRES_HOST and
MARIADB_HOST are set (the same variables as the tests).

    python3 dev.py benchmark backstop
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django
from django.conf import settings

DATABASES: dict[str, dict[str, Any]] = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(tempfile.mkdtemp(), "backstop.sqlite3"),
    }
}
if os.environ.get("POSTGRES_HOST"):
    DATABASES["postgresql"] = {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ["POSTGRES_HOST"],
        "PORT": os.environ.get("POSTGRES_PORT", "5432"),
        "USER": os.environ.get("POSTGRES_USER", "postgres"),
        "PASSWORD": os.environ.get("POSTGRES_PASSWORD", ""),
        "NAME": os.environ.get("POSTGRES_DB", "test"),
    }
if os.environ.get("MARIADB_HOST"):
    DATABASES["mariadb"] = {
        "ENGINE": "django.db.backends.mysql",
        "HOST": os.environ["MARIADB_HOST"],
        "PORT": os.environ.get("MARIADB_PORT", "3306"),
        "USER": os.environ.get("MARIADB_USER", "root"),
        "PASSWORD": os.environ.get("MARIADB_PASSWORD", ""),
        "NAME": os.environ.get("MARIADB_DB", "test"),
    }

settings.configure(
    DATABASES=DATABASES,
    INSTALLED_APPS=["readonly_scopes"],
    DJANGO_READ_ONLY_ENFORCE=True,
    USE_TZ=True,
)
django.setup()

from django.db import connections  # noqa: E402
from django.db.backends.base.base import BaseDatabaseWrapper  # noqa: E402

from readonly_scopes import read_only  # noqa: E402
from readonly_scopes.backstop import backstop_of  # noqa: E402
from readonly_scopes.enforcement import ENFORCEMENT  # noqa: E402

TABLE = "rs_backstop_bench"
QUERY = f"SELECT n FROM {TABLE}"


@contextmanager
def statements_received(connection: BaseDatabaseWrapper) -> Iterator[list[int]]:
    """Count what the database itself received; the count lands in the list."""
    raw = connection.connection
    result: list[int] = []
    if connection.vendor == "sqlite":
        seen: list[str] = []
        raw.set_trace_callback(seen.append)
        try:
            yield result
        finally:
            raw.set_trace_callback(None)
        result.append(len(seen))
    elif connection.vendor == "postgresql":
        from psycopg import pq

        with tempfile.TemporaryFile("w+") as trace:
            raw.pgconn.trace(trace.fileno())
            raw.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
            try:
                yield result
            finally:
                raw.pgconn.untrace()
            trace.seek(0)
            completed = [
                line for line in trace if line.split("\t")[2:3] == ["CommandComplete"]
            ]
        result.append(len(completed))
    else:

        def questions() -> int:
            cursor = raw.cursor()
            cursor.execute("SHOW SESSION STATUS LIKE 'Questions'")
            value = int(cursor.fetchone()[1])
            cursor.close()
            return value

        before = questions()
        yield result
        # Questions counts the SHOW that reads it once more.
        result.append(questions() - before - 1)


def run_queries(connection: BaseDatabaseWrapper, count: int) -> None:
    with connection.cursor() as cursor:
        for _ in range(count):
            cursor.execute(QUERY)
            cursor.fetchall()


def steady_state(connection: BaseDatabaseWrapper, queries: int) -> tuple[int, int]:
    """Extra statements inside read_only() and outside, per ``queries``."""
    run_queries(connection, 10)
    with read_only():
        run_queries(connection, 10)  # The scope's one switch is behind us.
        with statements_received(connection) as inside:
            run_queries(connection, queries)
    run_queries(connection, 10)
    with statements_received(connection) as outside:
        run_queries(connection, queries)
    return inside[0] - queries, outside[0] - queries


def per_call(function: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls * 1e6


def costs(connection: BaseDatabaseWrapper, rounds: int, calls: int) -> dict[str, float]:
    backstop = backstop_of(connection)
    cursor = connection.cursor()
    states = iter([True, False] * (rounds * calls))

    def query() -> None:
        cursor.execute("SELECT 1")
        cursor.fetchall()

    def switch() -> None:
        backstop.sync(next(states))

    def scope() -> None:
        with read_only():
            pass

    # Scopes switch every covered connection of the thread: cover one.
    covered = frozenset({connection.alias})
    ENFORCEMENT.cover(covered)
    samples: dict[str, list[float]] = {
        "query": [],
        "switch": [],
        "scope": [],
        "scope_off": [],
    }
    for _ in range(rounds):
        samples["query"].append(per_call(query, calls))
        samples["switch"].append(per_call(switch, calls))
        samples["scope"].append(per_call(scope, calls))
        ENFORCEMENT.cover(())
        samples["scope_off"].append(per_call(scope, calls))
        ENFORCEMENT.cover(covered)
    cursor.close()
    backstop.sync(False)
    ENFORCEMENT.cover(DATABASES)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()

    aliases = list(DATABASES)
    print(
        f"Python {sys.version.split()[0]}, Django {django.__version__}; "
        f"{args.queries:,} queries per steady-state run, medians of "
        f"{args.rounds} rounds x {args.calls} calls.\n"
    )
    header = (
        f"{'database':<11} {'extra stmts':>12} {'extra stmts':>12} "
        f"{'one switch':>11} {'SELECT 1':>9} {'switch /':>9} "
        f"{'read_only()':>12} {'read_only()':>12}"
    )
    print(header)
    print(
        f"{'':<11} {'in scope':>12} {'outside':>12} {'µs':>11} {'µs':>9} "
        f"{'query':>9} {'backstop µs':>12} {'without µs':>12}"
    )
    failed = False
    for alias in aliases:
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {TABLE} (n integer)")
            cursor.execute(f"INSERT INTO {TABLE} (n) VALUES (1)")
        try:
            inside, outside = steady_state(connection, args.queries)
            figures = costs(connection, args.rounds, args.calls)
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {TABLE}")
        failed = failed or inside != 0 or outside != 0
        print(
            f"{connection.vendor:<11} {inside:>12,} {outside:>12,} "
            f"{figures['switch']:>11.1f} {figures['query']:>9.1f} "
            f"{figures['switch'] / figures['query']:>9.2f} "
            f"{figures['scope']:>12.1f} {figures['scope_off']:>12.1f}"
        )
    if failed:
        sys.exit("The steady state sent extra statements: it must send none.")


if __name__ == "__main__":
    main()
