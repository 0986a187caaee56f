"""
What the backstop (the databases' own read-only mode) costs.

1. Requests: the live-site middleware and a view with 3 reads, through
   Django's own WSGI and ASGI handlers, with the site read-only and not, for
   PostgreSQL (WSGI with CONN_MAX_AGE = 600, ASGI with CONN_MAX_AGE = 0,
   Django's psycopg pool) and MariaDB (WSGI, CONN_MAX_AGE = 600). Statements
   are counted by the server: PostgreSQL's transactions of the benchmark's
   own database (pg_stat_database; in autocommit, one per statement), read
   once every session has ended and so reported its statistics; MariaDB's
   `Questions` of the session. Runs of two lengths, with the backstop on
   and off: extra statements per request in a steady state =
   (on[long] - on[short] - off[long] + off[short]) / (long - short), so
   connecting and warming up cancel out.
2. Queries: 10,000 inside one read_only() block and 10,000 outside, counted
   on the connection (SQLite's trace callback, PostgreSQL's protocol trace,
   MariaDB's `Questions`); then the time of one switch of the database's
   mode beside one `SELECT 1` through Django's cursor, and of entering and
   leaving a read_only() block with and without the backstop. Rounds
   interleave the measurements; figures are medians.
3. Machine instructions of the hot paths, counted by callgrind
   (backstop_instructions.py), when valgrind is installed.

SQLite always runs; PostgreSQL and MariaDB join when POSTGRES_HOST and
MARIADB_HOST are set (the same variables as the tests). Each server gets a
database of its own for the run, dropped at the end.

    python3 dev.py benchmark backstop
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django
from django.conf import settings

BENCH_DATABASE = f"rs_backstop_bench_{os.getpid()}"
DATABASES: dict[str, dict[str, Any]] = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(tempfile.mkdtemp(), "backstop.sqlite3"),
    }
}
if os.environ.get("POSTGRES_HOST"):
    POSTGRES = {
        "HOST": os.environ["POSTGRES_HOST"],
        "PORT": os.environ.get("POSTGRES_PORT", "5432"),
        "USER": os.environ.get("POSTGRES_USER", "postgres"),
        "PASSWORD": os.environ.get("POSTGRES_PASSWORD", ""),
    }
    DATABASES["postgresql"] = {
        "ENGINE": "django.db.backends.postgresql",
        **POSTGRES,
        "NAME": BENCH_DATABASE,
    }
    DATABASES["postgresql_pool"] = {
        **DATABASES["postgresql"],
        "OPTIONS": {"pool": {"min_size": 2, "max_size": 2}},
    }
if os.environ.get("MARIADB_HOST"):
    MARIADB = {
        "HOST": os.environ["MARIADB_HOST"],
        "PORT": os.environ.get("MARIADB_PORT", "3306"),
        "USER": os.environ.get("MARIADB_USER", "root"),
        "PASSWORD": os.environ.get("MARIADB_PASSWORD", ""),
    }
    DATABASES["mariadb"] = {
        "ENGINE": "django.db.backends.mysql",
        **MARIADB,
        "NAME": BENCH_DATABASE,
    }

settings.configure(
    DATABASES=DATABASES,
    INSTALLED_APPS=["readonly_scopes"],
    MIDDLEWARE=["readonly_scopes.middleware.ReadOnlySiteMiddleware"],
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["*"],
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    # The switch is set in this process: no need to read it back.
    DJANGO_READ_ONLY_CACHE_REFRESH=3600,
    DJANGO_READ_ONLY_ENFORCE=True,
    USE_TZ=True,
)

TABLE = "rs_backstop_bench"
QUERY = f"SELECT n FROM {TABLE}"


def on_servers(postgresql: str, mariadb: str) -> None:
    """Run one administrative statement on each configured server."""
    if "postgresql" in DATABASES:
        import psycopg

        with psycopg.connect(**postgres_admin_params(), autocommit=True) as admin:
            admin.execute(postgresql)
    if "mariadb" in DATABASES:
        import MySQLdb

        connection = MySQLdb.connect(
            host=MARIADB["HOST"],
            port=int(MARIADB["PORT"]),
            user=MARIADB["USER"],
            password=MARIADB["PASSWORD"],
        )
        connection.cursor().execute(mariadb)
        connection.close()  # type: ignore[no-untyped-call]


def create_server_databases() -> None:
    on_servers(f"CREATE DATABASE {BENCH_DATABASE}", f"CREATE DATABASE {BENCH_DATABASE}")


def drop_server_databases() -> None:
    on_servers(
        f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)",
        f"DROP DATABASE IF EXISTS {BENCH_DATABASE}",
    )


def postgres_admin_params() -> dict[str, Any]:
    return {
        "host": POSTGRES["HOST"],
        "port": POSTGRES["PORT"],
        "user": POSTGRES["USER"],
        "password": POSTGRES["PASSWORD"],
        "dbname": os.environ.get("POSTGRES_DB", "postgres"),
    }


create_server_databases()
django.setup()

from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connections  # noqa: E402
from django.db.backends.base.base import BaseDatabaseWrapper  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.urls import path  # noqa: E402

from readonly_scopes import read_only  # noqa: E402
from readonly_scopes.backstop.coverage import COVERAGE  # noqa: E402
from readonly_scopes.backstop.registry import mode_of  # noqa: E402
from readonly_scopes.switch import SWITCH  # noqa: E402


class Target:
    alias = "default"


def reads(request: HttpRequest) -> HttpResponse:
    """The view: three reads through Django's cursor."""
    with connections[Target.alias].cursor() as cursor:
        for _ in range(3):
            cursor.execute(QUERY)
            cursor.fetchall()
    return HttpResponse("ok")


urlpatterns = [path("reads/", reads)]

WSGI = WSGIHandler()
ASGI = ASGIHandler()


def wsgi_request() -> None:
    environ: dict[str, Any] = {"PATH_INFO": "/reads/", "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)

    response = WSGI(environ, start_response)
    body = b"".join(response)
    response.close()
    assert statuses == ["200 OK"], (statuses, body)


async def asgi_request() -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/reads/",
        "raw_path": b"/reads/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    messages = [{"type": "http.request", "body": b"", "more_body": False}]
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await never.wait()
        raise AssertionError("unreachable")

    sent: list[dict[str, Any]] = []

    async def send(message: Mapping[str, Any]) -> None:
        sent.append(dict(message))

    await ASGI(scope, receive, send)
    assert sent[0]["status"] == 200, sent


def asgi_requests(count: int) -> None:
    async def main() -> None:
        for _ in range(count):
            await asgi_request()

    asyncio.run(main())


def close_everything() -> None:
    connections.close_all()
    pooled: Any = connections["postgresql_pool"] if "postgresql" in DATABASES else None
    if pooled is not None:
        pooled.close_pool()


def postgres_transactions() -> int:
    """Transactions of the benchmark's database, once every session has ended."""
    import psycopg

    with psycopg.connect(**postgres_admin_params(), autocommit=True) as monitor:
        deadline = time.monotonic() + 60
        while monitor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
            [BENCH_DATABASE],
        ).fetchone()[0]:  # type: ignore[index]
            if time.monotonic() > deadline:
                sys.exit("The benchmark's PostgreSQL sessions did not end.")
            time.sleep(0.01)
        # Each session reports its statistics before it leaves pg_stat_activity.
        monitor.execute("SELECT pg_stat_clear_snapshot()")
        row = monitor.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = %s",
            [BENCH_DATABASE],
        ).fetchone()
    assert row is not None
    return int(row[0])


def mariadb_questions(connection: BaseDatabaseWrapper) -> int:
    cursor = connection.connection.cursor()
    cursor.execute("SHOW SESSION STATUS LIKE 'Questions'")
    value = int(cursor.fetchone()[1])
    cursor.close()
    return value


# Name: (alias, CONN_MAX_AGE, handler).
SETUPS = {
    "PostgreSQL, WSGI, CONN_MAX_AGE=600": ("postgresql", 600, "wsgi"),
    "PostgreSQL, ASGI, CONN_MAX_AGE=0": ("postgresql", 0, "asgi"),
    "PostgreSQL, Django's pool, WSGI": ("postgresql_pool", 0, "wsgi"),
    "MariaDB, WSGI, CONN_MAX_AGE=600": ("mariadb", 600, "wsgi"),
}


def statements_for(
    alias: str, max_age: int, handler: str, site: bool, backstop: bool, count: int
) -> int:
    """Statements the server received for ``count`` requests from a cold start."""
    close_everything()
    connections[alias].settings_dict["CONN_MAX_AGE"] = max_age
    Target.alias = alias
    postgres = connections[alias].vendor == "postgresql"
    before = postgres_transactions() if postgres else 0
    with override_settings(DJANGO_READ_ONLY_ENFORCE=[alias] if backstop else False):
        if site:
            SWITCH.turn_on(None)
        else:
            SWITCH.turn_off()
        if handler == "asgi":
            asgi_requests(count)
        else:
            for _ in range(count):
                wsgi_request()
        SWITCH.turn_off()
        # MariaDB counts per session: the one persistent connection's.
        questions = 0 if postgres else mariadb_questions(connections[alias])
    close_everything()
    return postgres_transactions() - before if postgres else questions


def request_figures(short: int, long: int) -> bool:
    """Print extra statements per request; True when all are 0."""
    print(
        "Requests: live-site middleware, a view with 3 reads; statements per "
        f"request counted by the server, steady state ({short} then {long} "
        "requests from a cold start).\n"
    )
    print(f"{'set-up':<38} {'site':<10} {'backstop off':>13} {'extra with it':>14}")
    all_zero = True
    for name, (alias, max_age, handler) in SETUPS.items():
        if alias not in DATABASES:
            continue
        for site in (True, False):
            counts = {
                (backstop, count): statements_for(
                    alias, max_age, handler, site, backstop, count
                )
                for backstop in (False, True)
                for count in (short, long)
            }
            span = long - short
            off = (counts[False, long] - counts[False, short]) / span
            on = (counts[True, long] - counts[True, short]) / span
            extra = on - off
            all_zero = all_zero and extra == 0
            state = "read-only" if site else "writable"
            print(f"{name:<38} {state:<10} {off:>13.2f} {extra:>14.2f}")
    print()
    return all_zero


@contextmanager
def statements_received(connection: BaseDatabaseWrapper) -> Iterator[list[int]]:
    """Count what the database received on this connection; lands in the list."""
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
        before = mariadb_questions(connection)
        yield result
        # Questions counts the SHOW that reads it once more.
        result.append(mariadb_questions(connection) - before - 1)


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
    mode = mode_of(connection)
    cursor = connection.cursor()
    states = iter([True, False] * (rounds * calls))

    def query() -> None:
        cursor.execute("SELECT 1")
        cursor.fetchall()

    def switch() -> None:
        mode.sync(next(states))

    def scope() -> None:
        with read_only():
            cursor.execute("SELECT 1")

    # Scopes switch every covered connection of the thread: cover one.
    covered = frozenset({connection.alias})
    COVERAGE.cover(covered)
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
        COVERAGE.cover(())
        samples["scope_off"].append(per_call(scope, calls))
        COVERAGE.cover(covered)
    cursor.close()
    mode.sync(False)
    COVERAGE.cover(DATABASES)
    return {name: statistics.median(values) for name, values in samples.items()}


def query_figures(queries: int, rounds: int, calls: int) -> bool:
    """Print the per-query figures; True when the steady state sends nothing."""
    print(
        f"Queries: {queries:,} per steady-state run, medians of {rounds} rounds "
        f"x {calls} calls.\n"
    )
    print(
        f"{'database':<11} {'extra stmts':>12} {'extra stmts':>12} "
        f"{'one switch':>11} {'SELECT 1':>9} {'switch /':>9} "
        f"{'read_only()':>12} {'read_only()':>12}"
    )
    print(
        f"{'':<11} {'in scope':>12} {'outside':>12} {'µs':>11} {'µs':>9} "
        f"{'query':>9} {'+ SELECT µs':>12} {'no backstop':>12}"
    )
    all_zero = True
    for alias in ("default", "postgresql", "mariadb"):
        if alias not in DATABASES:
            continue
        connection = connections[alias]
        connection.settings_dict["CONN_MAX_AGE"] = 0
        inside, outside = steady_state(connection, queries)
        figures = costs(connection, rounds, calls)
        all_zero = all_zero and inside == outside == 0
        print(
            f"{connection.vendor:<11} {inside:>12,} {outside:>12,} "
            f"{figures['switch']:>11.1f} {figures['query']:>9.1f} "
            f"{figures['switch'] / figures['query']:>9.2f} "
            f"{figures['scope']:>12.1f} {figures['scope_off']:>12.1f}"
        )
    return all_zero


def create_tables() -> None:
    for alias in ("default", "postgresql", "mariadb"):
        if alias in DATABASES:
            with connections[alias].cursor() as cursor:
                cursor.execute(f"CREATE TABLE {TABLE} (n integer)")
                cursor.execute(f"INSERT INTO {TABLE} (n) VALUES (1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", type=int, default=20)
    parser.add_argument("--long", type=int, default=220)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument(
        "--no-instructions",
        action="store_true",
        help="skip counting the hot paths' instructions with callgrind",
    )
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, Django {django.__version__}.\n")
    try:
        create_tables()
        requests_ok = request_figures(args.short, args.long)
        queries_ok = query_figures(args.queries, args.rounds, args.calls)
    finally:
        close_everything()
        drop_server_databases()
    if not args.no_instructions:
        print()
        subprocess.run(
            [sys.executable, str(Path(__file__).with_name("backstop_instructions.py"))],
            check=True,
        )
    if not (requests_ok and queries_ok):
        sys.exit("The steady state sent extra statements: it must send none.")


if __name__ == "__main__":
    main()
