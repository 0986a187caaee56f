"""
The backstop against real databases: with DJANGO_READ_ONLY_ENFORCE, writes
the guard cannot see are refused by the database inside read_only() and run
outside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import override_settings

from readonly_scopes import (
    ReadOnlyError,
    disable_writes,
    enable_writes,
    read_only,
    temp_writes,
)
from readonly_scopes.backstop import bring_in_step
from readonly_scopes.backstop.modes import PostgreSQLMode
from readonly_scopes.backstop.registry import mode_of
from readonly_scopes.guard import in_step
from tests.conftest import beside
from tests.site_views import database_read_only
from tests.testapp.models import Item

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

ROUTINES = {
    "postgresql": [
        (
            "CREATE FUNCTION rs_bump() RETURNS integer LANGUAGE sql AS "
            "'UPDATE rs_counter SET n = n + 1 RETURNING n'"
        ),
        (
            "CREATE PROCEDURE rs_bump_proc() LANGUAGE sql AS "
            "'UPDATE rs_counter SET n = n + 1'"
        ),
    ],
    "mysql": [
        (
            "CREATE FUNCTION rs_bump() RETURNS integer MODIFIES SQL DATA "
            "BEGIN UPDATE rs_counter SET n = n + 1; RETURN 1; END"
        ),
        (
            "CREATE PROCEDURE rs_bump_proc() MODIFIES SQL DATA "
            "UPDATE rs_counter SET n = n + 1"
        ),
    ],
}
DROPS = {
    "postgresql": ["DROP FUNCTION rs_bump", "DROP PROCEDURE rs_bump_proc"],
    "mysql": ["DROP FUNCTION rs_bump", "DROP PROCEDURE rs_bump_proc"],
}


def driver_errors() -> tuple[type[BaseException], ...]:
    """Django's errors, and the drivers' own that raw driver calls raise."""
    errors: list[type[BaseException]] = [DatabaseError, sqlite3.Error]
    for module in ("psycopg", "MySQLdb"):
        with contextlib.suppress(ImportError):
            errors.append(importlib.import_module(module).Error)
    return tuple(errors)


def raw_execute(connection: BaseDatabaseWrapper, sql: str) -> None:
    """Run SQL on the driver's own connection, where no execute wrapper sees it."""
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def register_sqlite_function(connection: BaseDatabaseWrapper) -> None:
    connection.ensure_connection()
    raw = connection.connection

    def bump() -> int:
        raw.execute("UPDATE rs_counter SET n = n + 1")
        return 1

    raw.create_function("rs_bump", 0, bump)


def select_function(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor == "sqlite":
        register_sqlite_function(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT rs_bump()")


def call_procedure(connection: BaseDatabaseWrapper) -> None:
    raw_execute(connection, "CALL rs_bump_proc()")


def callproc(connection: BaseDatabaseWrapper) -> None:
    # Django's psycopg cursor runs callproc() as SELECT * FROM name(), so on
    # PostgreSQL it calls the function; MariaDB calls the procedure.
    name = "rs_bump" if connection.vendor == "postgresql" else "rs_bump_proc"
    with connection.cursor() as cursor:
        cursor.callproc(name)


def raw_connection(connection: BaseDatabaseWrapper) -> None:
    raw_execute(connection, "UPDATE rs_counter SET n = n + 1")


def executescript(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        cursor.executescript("UPDATE rs_counter SET n = n + 1;")


def copy_from(connection: BaseDatabaseWrapper) -> None:
    with (
        connection.cursor() as cursor,
        cursor.copy("COPY rs_counter (n) FROM STDIN") as copy,
    ):
        copy.write_row((1,))


HIDDEN_WRITES: dict[str, list[Callable[[BaseDatabaseWrapper], None]]] = {
    "sqlite": [select_function, raw_connection, executescript],
    "postgresql": [
        select_function,
        call_procedure,
        callproc,
        raw_connection,
        copy_from,
    ],
    "mariadb": [select_function, call_procedure, callproc, raw_connection],
}
CASES = [
    pytest.param(backend, write, id=f"{backend}-{write.__name__}")
    for backend, writes in HIDDEN_WRITES.items()
    for write in writes
]


@pytest.fixture
def counter(alias: str) -> Iterator[BaseDatabaseWrapper]:
    """A one-row table, the routines that bump it, and the backstop on."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE rs_counter (n integer)")
        cursor.execute("INSERT INTO rs_counter (n) VALUES (0)")
        for statement in ROUTINES.get(connection.vendor, []):
            cursor.execute(statement)
    with override_settings(DJANGO_READ_ONLY_ENFORCE=[alias]):
        yield connection
    enable_writes()
    with connection.cursor() as cursor:
        for statement in DROPS.get(connection.vendor, []):
            cursor.execute(statement)
        cursor.execute("DROP TABLE rs_counter")


def total(connection: BaseDatabaseWrapper) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT SUM(n) FROM rs_counter")
        return int(cursor.fetchone()[0])


def driver_error(error: BaseException) -> BaseException:
    found: BaseException | None = error
    while found is not None and type(found).__module__.startswith(
        ("django.", "readonly_scopes.")
    ):
        found = found.__cause__
    assert found is not None, f"no driver error behind {error!r}"
    return found


def assert_refused_by_read_only_mode(error: BaseException, vendor: str) -> None:
    """The database's read-only mode refused it, not some other failure."""
    refusal = driver_error(error)
    if vendor == "postgresql":
        assert getattr(refusal, "sqlstate", None) == "25006", refusal
    elif vendor == "mysql":
        assert refusal.args[0] == 1792, refusal
    else:
        assert isinstance(refusal, sqlite3.OperationalError)
        # A write inside a Python function surfaces as the function's failure.
        assert str(refusal) in (
            "attempt to write a readonly database",
            "user-defined function raised exception",
        ), refusal


@pytest.mark.parametrize(("alias", "write"), CASES, indirect=["alias"])
def test_hidden_write_is_refused_inside_read_only_and_runs_outside(
    counter: BaseDatabaseWrapper, write: Callable[[BaseDatabaseWrapper], None]
) -> None:
    with read_only(), pytest.raises(driver_errors()) as excinfo:
        write(counter)
    assert_refused_by_read_only_mode(excinfo.value, counter.vendor)
    assert total(counter) == 0

    write(counter)
    assert total(counter) == 1

    disable_writes()
    with temp_writes():
        write(counter)
    assert total(counter) == 2


def insert_blocked_by_guard(connection: BaseDatabaseWrapper) -> None:
    with (
        connection.cursor() as cursor,
        pytest.raises(ReadOnlyError, match="Write blocked"),
    ):
        cursor.execute("INSERT INTO rs_counter (n) VALUES (5)")


def test_read_only_inside_atomic_gives_the_block_its_writes_back(
    counter: BaseDatabaseWrapper,
) -> None:
    with transaction.atomic(using=counter.alias):
        raw_connection(counter)
        with read_only():
            insert_blocked_by_guard(counter)
            if counter.vendor == "mysql":
                # MariaDB cannot make a running transaction read-only: only the
                # guard protects the rest of this transaction (documented).
                raw_connection(counter)
            else:
                with pytest.raises(driver_errors()) as excinfo:
                    raw_connection(counter)
                assert_refused_by_read_only_mode(excinfo.value, counter.vendor)
        # On PostgreSQL the refusal aborted the transaction; leaving the scope
        # rolled back to its savepoint, so the block goes on.
        raw_connection(counter)
    assert total(counter) == (3 if counter.vendor == "mysql" else 2)


def test_transaction_begun_inside_read_only_refuses_hidden_writes(
    counter: BaseDatabaseWrapper,
) -> None:
    def read_then_write() -> None:
        with transaction.atomic(using=counter.alias):
            assert total(counter) == 0
            raw_connection(counter)

    with read_only(), pytest.raises(driver_errors()) as excinfo:
        read_then_write()
    assert_refused_by_read_only_mode(excinfo.value, counter.vendor)
    assert total(counter) == 0


def test_temp_writes_before_the_first_query_makes_the_transaction_writable(
    counter: BaseDatabaseWrapper,
) -> None:
    with read_only(), transaction.atomic(using=counter.alias), temp_writes():
        Item.objects.using(counter.alias).create(name="written")
        raw_connection(counter)
    assert total(counter) == 1
    assert Item.objects.using(counter.alias).get().name == "written"


def test_temp_writes_after_a_read_only_query_explains_why_it_cannot_write(
    counter: BaseDatabaseWrapper,
) -> None:
    def write_after_a_read() -> None:
        with read_only(), transaction.atomic(using=counter.alias):
            assert total(counter) == 0
            with temp_writes():
                Item.objects.using(counter.alias).create(name="late")

    if counter.vendor == "sqlite":
        # query_only switches at any time, even inside a transaction.
        write_after_a_read()
        assert Item.objects.using(counter.alias).count() == 1
        return
    with pytest.raises(ReadOnlyError) as excinfo:
        write_after_a_read()
    message = str(excinfo.value)
    assert "Writes are allowed here, but this transaction began" in message
    assert "start the transaction (the outer atomic() block) inside" in message
    assert_refused_by_read_only_mode(excinfo.value, counter.vendor)
    assert Item.objects.using(counter.alias).count() == 0


def test_savepoint_opened_inside_read_only(counter: BaseDatabaseWrapper) -> None:
    alias = counter.alias

    def write_in_inner_block() -> None:
        with transaction.atomic(using=alias), temp_writes():
            Item.objects.using(alias).create(name="inner")

    with transaction.atomic(using=alias):
        with read_only():
            assert total(counter) == 0
            if counter.vendor == "postgresql":
                # The read-only savepoint can only end with Django's inner one.
                with pytest.raises(ReadOnlyError, match="savepoint that is still"):
                    write_in_inner_block()
            else:
                write_in_inner_block()
        Item.objects.using(alias).create(name="outer")
    expected = ["outer"] if counter.vendor == "postgresql" else ["inner", "outer"]
    assert sorted(Item.objects.using(alias).values_list("name", flat=True)) == expected


@pytest.mark.parametrize("alias", ["postgresql", "mariadb"], indirect=True)
def test_refusal_becomes_read_only_error_with_driver_cause(
    counter: BaseDatabaseWrapper,
) -> None:
    with read_only(), pytest.raises(ReadOnlyError) as excinfo:
        select_function(counter)
    error = excinfo.value
    assert str(error).startswith(
        f"Write refused by database {counter.alias!r} itself, in the read-only mode"
    )
    assert "SELECT rs_bump()" in str(error)
    assert "It ran inside read_only() entered at" in str(error)
    assert type(error.__cause__).__module__.split(".")[0] in ("psycopg", "MySQLdb")
    assert total(counter) == 0


@pytest.mark.parametrize("alias", ["sqlite"], indirect=True)
def test_sqlite_refusal_becomes_read_only_error(counter: BaseDatabaseWrapper) -> None:
    # Every statement the guard lets through SQLite's query_only allows, so
    # the backstop's run() is given a write directly.
    def execute(sql: str, params: Any, many: bool, context: Any) -> Any:
        with counter.cursor() as cursor, counter.wrap_database_errors:
            return cursor.cursor.execute(sql)

    disable_writes()
    mode_of(counter).sync(True)
    context = {"connection": counter}
    with pytest.raises(ReadOnlyError) as excinfo:
        in_step(execute, "DELETE FROM rs_counter", None, False, context, True)
    assert isinstance(excinfo.value.__cause__, sqlite3.OperationalError)
    assert "Writes are disabled for the whole process" in str(excinfo.value)
    assert total(counter) == 0


def test_coroutines_sharing_a_connection_each_get_their_own_mode(
    counter: BaseDatabaseWrapper,
) -> None:
    """
    Outside a ThreadSensitiveContext every sync_to_async call runs on one
    thread with one connection; the mode must follow each statement's own
    context, never the one that ran before it.
    """
    threads: set[int] = set()

    def bump() -> None:
        threads.add(id(connections[counter.alias].connection))
        select_function(connections[counter.alias])

    async def attempt(scope: Any, turns: int) -> list[bool]:
        outcomes = []
        async with scope:
            for _ in range(turns):
                await asyncio.sleep(0)
                try:
                    await sync_to_async(bump)()
                    outcomes.append(True)
                except driver_errors():
                    outcomes.append(False)
        return outcomes

    async def main() -> list[list[bool]]:
        return list(
            await asyncio.gather(
                attempt(temp_writes(), 20),
                attempt(read_only(), 20),
                attempt(temp_writes(), 20),
            )
        )

    disable_writes()
    first, blocked, second = async_to_sync(main)()
    assert len(threads) == 1
    assert first == second == [True] * 20
    assert blocked == [False] * 20
    assert total(counter) == 40


def test_scope_entered_in_an_event_loop_leaves_that_thread_alone(
    counter: BaseDatabaseWrapper,
) -> None:
    # The loop runs in this thread, whose connection is open: blocking I/O
    # from the loop is wrong, and the statements run in other threads anyway.
    counter.ensure_connection()
    backstop = mode_of(counter)
    assert backstop.read_only is False

    async def main() -> None:
        async with read_only():
            assert backstop.read_only is False

    asyncio.run(main())
    assert backstop.read_only is False
    with read_only():
        assert backstop.read_only is True


def test_reconnect_follows_the_scope(counter: BaseDatabaseWrapper) -> None:
    with read_only():
        counter.close()
        with pytest.raises(driver_errors()) as excinfo:
            raw_connection(counter)
        assert_refused_by_read_only_mode(excinfo.value, counter.vendor)
        counter.close()
    raw_connection(counter)
    assert total(counter) == 1


@pytest.mark.parametrize("alias", ["sqlite"], indirect=True)
def test_sqlite_transaction_mode_still_works_read_only(
    counter: BaseDatabaseWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    # atomic() then sends BEGIN IMMEDIATE, which query_only refuses.
    monkeypatch.setattr(counter, "transaction_mode", "IMMEDIATE")
    statements: list[str] = []
    counter.ensure_connection()
    counter.connection.set_trace_callback(statements.append)
    try:
        with read_only():
            with transaction.atomic(using=counter.alias):
                assert total(counter) == 0
                with pytest.raises(sqlite3.OperationalError):
                    raw_connection(counter)
            assert query_only(counter) == 1
    finally:
        counter.connection.set_trace_callback(None)
    assert "BEGIN IMMEDIATE" in statements
    assert query_only(counter) == 0


def query_only(connection: BaseDatabaseWrapper) -> int:
    return int(connection.connection.execute("PRAGMA query_only").fetchone()[0])


@pytest.mark.parametrize("alias", ["sqlite"], indirect=True)
def test_steady_state_sends_no_extra_statements(
    counter: BaseDatabaseWrapper,
) -> None:
    counter.ensure_connection()
    statements: list[str] = []
    counter.connection.set_trace_callback(statements.append)
    try:
        for _ in range(50):
            total(counter)
        with read_only():
            for _ in range(50):
                total(counter)
        for _ in range(50):
            total(counter)
    finally:
        counter.connection.set_trace_callback(None)
    switches = [s for s in statements if s.startswith("PRAGMA query_only")]
    assert switches == ["PRAGMA query_only = 1", "PRAGMA query_only = 0"]
    assert len(statements) == 150 + len(switches)


def test_turning_the_backstop_off_gives_connections_their_writes_back(
    counter: BaseDatabaseWrapper,
) -> None:
    with read_only():
        with pytest.raises(driver_errors()):
            raw_connection(counter)
        with override_settings(DJANGO_READ_ONLY_ENFORCE=False):
            # Without the backstop, only the guard protects the scope.
            raw_connection(counter)
            insert_blocked_by_guard(counter)
        with pytest.raises(driver_errors()):
            raw_connection(counter)
    assert total(counter) == 1


@pytest.mark.parametrize("per_database", [False, True])
def test_a_scope_whose_database_switch_fails_is_not_left_open(
    counter: BaseDatabaseWrapper, monkeypatch: pytest.MonkeyPatch, per_database: bool
) -> None:
    counter.ensure_connection()
    backstop = mode_of(counter)

    def broken(statement: str) -> None:
        raise DatabaseError("connection lost")

    monkeypatch.setattr(
        type(backstop), "send", lambda self, statement: broken(statement)
    )
    scope = read_only(using=counter.alias) if per_database else read_only()
    with pytest.raises(DatabaseError, match="connection lost"):
        scope.__enter__()
    monkeypatch.undo()
    # The failed entry left nothing behind: this context may write.
    Item.objects.using(counter.alias).create(name="after")
    raw_connection(counter)
    assert total(counter) == 1


@pytest.mark.parametrize("alias", ["postgresql"], indirect=True)
def test_pooled_connection_is_brought_in_step_at_each_checkout(
    counter: BaseDatabaseWrapper,
) -> None:
    pooled: Any = connections["postgresql_pool"]
    pooled.ensure_connection()  # Django opens the pool on first use.
    pooled.close()
    pool = pooled.pool
    assert pool is not None
    # Some earlier user left every pooled connection read-only.
    held = [pool.getconn() for _ in range(pool.max_size)]
    for raw in held:
        raw.execute("SET default_transaction_read_only = on")
        raw.commit()
        pool.putconn(raw)
    try:
        with override_settings(DJANGO_READ_ONLY_ENFORCE=["postgresql_pool"]):
            raw_connection(pooled)
            pooled.close()
            with read_only():
                with pytest.raises(driver_errors()) as excinfo:
                    raw_connection(pooled)
                assert_refused_by_read_only_mode(excinfo.value, "postgresql")
                # Back to the pool still read-only, as this scope wants.
                pooled.close()
            raw_connection(pooled)
    finally:
        pooled.close_pool()
    assert total(counter) == 2


@pytest.mark.parametrize("alias", ["postgresql"], indirect=True)
def test_refusal_inside_atomic_leaves_the_block_usable(
    counter: BaseDatabaseWrapper,
) -> None:
    with transaction.atomic(using=counter.alias):
        raw_connection(counter)
        with read_only():
            with pytest.raises(ReadOnlyError):
                select_function(counter)
            # Rolled back to the read-only savepoint: still read-only, usable.
            assert total(counter) == 1
            with pytest.raises(ReadOnlyError):
                select_function(counter)
        select_function(counter)
    assert total(counter) == 2


@pytest.mark.parametrize("alias", ["postgresql"], indirect=True)
def test_savepoint_released_under_the_read_only_one_is_made_again(
    counter: BaseDatabaseWrapper,
) -> None:
    scope = read_only()
    with transaction.atomic(using=counter.alias):
        inner = transaction.atomic(using=counter.alias)
        inner.__enter__()
        # Entered inside Django's savepoint, and left open after it.
        scope.__enter__()
        try:
            assert total(counter) == 0
            inner.__exit__(None, None, None)
            # Releasing Django's savepoint released the read-only one too.
            with pytest.raises(ReadOnlyError):
                select_function(counter)
        finally:
            scope.__exit__(None, None, None)
    assert total(counter) == 0


@pytest.mark.parametrize(
    ("alias", "make_read_only"),
    [
        ("postgresql", "SET default_transaction_read_only = on"),
        ("mariadb", "SET SESSION TRANSACTION READ ONLY"),
    ],
    indirect=["alias"],
)
def test_refusal_for_a_reason_outside_the_backstop_says_so(
    counter: BaseDatabaseWrapper, make_read_only: str
) -> None:
    raw_execute(counter, make_read_only)
    try:
        with pytest.raises(ReadOnlyError) as excinfo:
            select_function(counter)
    finally:
        counter.close()
    assert "Writes are allowed here, but the connection was read-only for a " in str(
        excinfo.value
    )
    assert total(counter) == 0


def test_closed_connection_leaving_coverage_starts_afresh(
    counter: BaseDatabaseWrapper,
) -> None:
    with read_only():
        counter.close()
        with override_settings(DJANGO_READ_ONLY_ENFORCE=False):
            raw_connection(counter)
    assert total(counter) == 1


def test_reading_inside_read_only_first_leaves_the_transaction_writable(
    counter: BaseDatabaseWrapper,
) -> None:
    # The scope's first query starts the transaction; after the scope, the
    # rest of the atomic() block must still be able to write.
    with transaction.atomic(using=counter.alias):
        with read_only():
            assert total(counter) == 0
        raw_connection(counter)
        Item.objects.using(counter.alias).create(name="after")
    assert total(counter) == 1


def allowed_write(connection: BaseDatabaseWrapper, name: str) -> None:
    with override_settings(DJANGO_READ_ONLY_ALLOWED_TABLES=["testapp_item"]):
        Item.objects.using(connection.alias).create(name=name)


def test_an_allowed_write_leaves_the_connection_read_only(
    counter: BaseDatabaseWrapper,
) -> None:
    with read_only():
        allowed_write(counter, "allowed")
        # Writable for that statement only: the raw driver gets no way round.
        with pytest.raises(driver_errors()) as excinfo:
            raw_connection(counter)
        assert_refused_by_read_only_mode(excinfo.value, counter.vendor)
    assert total(counter) == 0
    assert Item.objects.using(counter.alias).get().name == "allowed"


@pytest.mark.parametrize("alias", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize("savepoints", [1, 2])
def test_an_allowed_write_in_a_transaction_leaves_it_read_only(
    counter: BaseDatabaseWrapper, savepoints: int
) -> None:
    # MariaDB cannot make a running transaction read-only at all: there the
    # scope is the guard's alone (see the test above with atomic()).
    with contextlib.ExitStack() as blocks:
        for _ in range(savepoints):
            blocks.enter_context(transaction.atomic(using=counter.alias))
        with read_only():
            allowed_write(counter, "first")
            with pytest.raises(driver_errors()) as excinfo:
                raw_connection(counter)
            assert_refused_by_read_only_mode(excinfo.value, counter.vendor)
            allowed_write(counter, "second")
            with pytest.raises(driver_errors()):
                raw_connection(counter)
        # The transaction writes again after the scope.
        raw_connection(counter)
    assert total(counter) == 1
    names = Item.objects.using(counter.alias).values_list("name", flat=True)
    assert sorted(names) == ["first", "second"]


SERVER_DATABASE_VARIABLES = {"postgresql": "POSTGRES_DB", "mysql": "MARIADB_DB"}


@pytest.mark.parametrize("environment", ["1", ""])
def test_a_shell_read_only_by_the_environment_has_the_database_refuse(
    counter: BaseDatabaseWrapper, environment: str
) -> None:
    """The README's recommended setup: DJANGO_READ_ONLY=1 in the shell profile."""
    name = str(counter.settings_dict["NAME"])
    variable = SERVER_DATABASE_VARIABLES.get(counter.vendor)
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        # The process under test works on this test's database.
        variable or "READONLY_SCOPES_SQLITE_FILE": name,
        "DJANGO_READ_ONLY": environment,
    }
    command = (
        "from django.db import connections\n"
        f"connection = connections[{counter.alias!r}]\n"
        "connection.ensure_connection()\n"
        "cursor = connection.connection.cursor()\n"
        "cursor.execute('UPDATE rs_counter SET n = n + 1')\n"
        "connection.connection.commit()\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "django", "shell", "-c", command],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    if environment:
        assert done.returncode != 0
        refusals = {
            "sqlite": "attempt to write a readonly database",
            "postgresql": "in a read-only transaction",
            "mysql": "READ ONLY transaction",
        }
        assert refusals[counter.vendor] in done.stderr, done.stderr
        assert total(counter) == 0
    else:
        assert done.returncode == 0, done.stderr
        assert total(counter) == 1


@pytest.mark.parametrize("alias", ["postgresql"], indirect=True)
def test_a_connection_opened_in_read_only_starts_read_only(
    counter: BaseDatabaseWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a new connection per request (CONN_MAX_AGE = 0) needs to cost
    # nothing: the mode comes with the connection's parameters.
    switches: list[bool] = []
    switch = PostgreSQLMode.switch

    def spy(mode: PostgreSQLMode, read_only: bool) -> None:
        switches.append(read_only)
        switch(mode, read_only)

    monkeypatch.setattr(PostgreSQLMode, "switch", spy)
    counter.close()
    with read_only():
        with pytest.raises(driver_errors()) as excinfo:
            raw_connection(counter)
        assert_refused_by_read_only_mode(excinfo.value, counter.vendor)
    assert switches == []
    # Writable again: the connection's own default is read-only, so it is
    # switched off rather than reset.
    assert total(counter) == 0
    raw_connection(counter)
    assert switches == [False]
    counter.close()
    raw_connection(counter)
    assert switches == [False]
    assert total(counter) == 2


@pytest.mark.parametrize("alias", ["postgresql", "mariadb"], indirect=True)
def test_a_raw_write_while_a_scope_that_ended_left_it_read_only_says_so(
    counter: BaseDatabaseWrapper,
) -> None:
    with read_only():
        assert total(counter) == 0
    # Nothing was sent when the scope ended: the next request may well
    # want read-only again.
    with pytest.raises(driver_errors()) as excinfo:
        raw_connection(counter)
    assert_refused_by_read_only_mode(excinfo.value, counter.vendor)
    (note,) = excinfo.value.__notes__
    assert note.startswith(
        "readonly_scopes: this connection is still read-only from read_only() "
        f"entered at {__file__}:"
    )
    assert note.endswith("call readonly_scopes.backstop.bring_in_step() first.")
    # Other errors are left as the driver raised them.
    with pytest.raises(driver_errors()) as excinfo:
        raw_execute(counter, "SELECT no_such_column FROM rs_counter")
    assert not getattr(excinfo.value, "__notes__", [])
    bring_in_step()
    raw_connection(counter)
    # In step again, the driver's cursors are its own again.
    with read_only():
        with pytest.raises(driver_errors()) as excinfo:
            raw_connection(counter)
        assert not getattr(excinfo.value, "__notes__", [])
    # A statement through Django's cursor brings it in step too.
    assert total(counter) == 1
    raw_connection(counter)
    assert total(counter) == 2


@pytest.mark.parametrize("alias", ["postgresql"], indirect=True)
def test_a_pooled_connection_left_noted_is_plain_at_checkout(
    counter: BaseDatabaseWrapper,
) -> None:
    pooled: Any = connections["postgresql_pool"]
    try:
        with override_settings(DJANGO_READ_ONLY_ENFORCE=["postgresql_pool"]):
            with read_only():
                raw_connection_ok = pooled.cursor()
                raw_connection_ok.close()
            noted = pooled.connection
            assert hasattr(noted.cursor_factory, "plain_cursor_class")
            pooled.close()  # Back to the pool as it is.
            pooled.ensure_connection()
            assert not hasattr(pooled.connection.cursor_factory, "plain_cursor_class")
            raw_connection(pooled)
    finally:
        pooled.close_pool()
    assert total(counter) == 1


def test_bring_in_step_without_the_backstop_sends_nothing(
    counter: BaseDatabaseWrapper,
) -> None:
    with override_settings(DJANGO_READ_ONLY_ENFORCE=False), read_only():
        raw_connection(counter)
        bring_in_step()
        raw_connection(counter)
    assert total(counter) == 2


def test_a_connection_that_left_coverage_in_another_thread_is_left_alone(
    counter: BaseDatabaseWrapper,
) -> None:
    """Coverage changes reach other threads' connections when they reconnect."""
    opened, covered_no_more = threading.Event(), threading.Event()
    modes: list[bool] = []

    def worker() -> None:
        connection = connections[counter.alias]
        try:
            connection.ensure_connection()
            opened.set()
            assert covered_no_more.wait(30)
            with read_only():
                modes.append(database_read_only(counter.alias))
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    assert opened.wait(30)
    # Still on, for another database where there is one.
    others = [alias for alias in settings.DATABASES if alias != counter.alias]
    with override_settings(DJANGO_READ_ONLY_ENFORCE=others[:1] or False):
        covered_no_more.set()
        thread.join(30)
    assert modes == [False]


# Scopes and the flag for some databases only.


@contextlib.contextmanager
def counter_on(alias: str) -> Iterator[BaseDatabaseWrapper]:
    """The one-row table on another database, with the backstop on everywhere."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE rs_counter (n integer)")
        cursor.execute("INSERT INTO rs_counter (n) VALUES (0)")
    try:
        with override_settings(DJANGO_READ_ONLY_ENFORCE=True):
            yield connection
    finally:
        enable_writes()
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE rs_counter")


def test_a_raw_write_is_refused_on_the_read_only_database_and_lands_on_the_other(
    counter: BaseDatabaseWrapper,
) -> None:
    with counter_on(beside(counter.alias)) as other:
        assert (total(counter), total(other)) == (0, 0)
        with read_only(using=counter.alias):
            with pytest.raises(driver_errors()) as excinfo:
                raw_connection(counter)
            assert_refused_by_read_only_mode(excinfo.value, counter.vendor)
            raw_connection(other)
        disable_writes(using=other.alias)
        raw_connection(counter)
        with pytest.raises(driver_errors()) as excinfo:
            raw_connection(other)
        assert_refused_by_read_only_mode(excinfo.value, other.vendor)
        with temp_writes(using=other.alias):
            raw_connection(other)
        enable_writes(using=other.alias)
        raw_connection(other)
        assert (total(counter), total(other)) == (1, 3)


@pytest.mark.parametrize("alias", ["postgresql", "mariadb"], indirect=True)
def test_a_per_database_scope_that_ended_notes_its_own_database_only(
    counter: BaseDatabaseWrapper,
) -> None:
    with counter_on(beside(counter.alias)) as other:
        with read_only():
            assert (total(counter), total(other)) == (0, 0)
        bring_in_step()
        with read_only(using=counter.alias):
            assert total(counter) == 0
        # Lazily writable again, like a scope for every database.
        with pytest.raises(driver_errors()) as excinfo:
            raw_connection(counter)
        (note,) = excinfo.value.__notes__
        assert note.startswith(
            "readonly_scopes: this connection is still read-only from "
            f"read_only(using={counter.alias!r}) entered at {__file__}:"
        )
        raw_connection(other)
        assert (total(counter), total(other)) == (0, 1)
