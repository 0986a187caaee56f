from __future__ import annotations

import asyncio
import contextvars
import sys
import threading
from collections.abc import Iterator
from typing import Any, cast

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import DatabaseError, connections
from django.db.backends.signals import connection_created
from django.test import override_settings

from readonly_scopes import (
    DjangoReadOnlyError,
    ReadOnlyError,
    disable_writes,
    read_only,
    temp_writes,
)
from readonly_scopes.console import MAGIC
from readonly_scopes.flag import load_flag
from readonly_scopes.guard import guard_for, install
from readonly_scopes.scopes import AliasScope, BlockedWrite, Scope
from readonly_scopes.sql.text import statement_text
from tests.conftest import beside
from tests.testapp.models import Item

# Autocommit, as in a shell: a blocked write inside atomic() would mark the
# test's own transaction for rollback, as any database error does. Marked per
# test, with only the databases each one uses, so that none is flushed for
# nothing.
every_database = pytest.mark.django_db(transaction=True, databases="__all__")
default_database = pytest.mark.django_db(transaction=True)


def names(alias: str) -> list[str]:
    return sorted(Item.objects.using(alias).values_list("name", flat=True))


@every_database
def test_blocked_write_raises_and_changes_nothing(alias: str) -> None:
    Item.objects.using(alias).create(name="kept")
    disable_writes()
    with pytest.raises(ReadOnlyError) as excinfo:
        Item.objects.using(alias).create(name="new")
    with pytest.raises(ReadOnlyError):
        Item.objects.using(alias).update(name="changed")
    with pytest.raises(ReadOnlyError):
        Item.objects.using(alias).all().delete()
    assert isinstance(excinfo.value, DatabaseError)
    assert isinstance(excinfo.value, DjangoReadOnlyError)
    assert names(alias) == ["kept"]
    assert Item.objects.using(alias).count() == 1


@every_database
def test_scopes_decide_per_block(alias: str) -> None:
    disable_writes()
    with temp_writes():
        Item.objects.using(alias).bulk_create([Item(name="a"), Item(name="b")])
        with read_only(), pytest.raises(ReadOnlyError):
            Item.objects.using(alias).filter(name="a").update(name="z")
        Item.objects.using(alias).filter(name="b").update(name="c")
    assert names(alias) == ["a", "c"]


@every_database
def test_executemany_is_guarded_without_consuming_params(alias: str) -> None:
    table = connections[alias].ops.quote_name(Item._meta.db_table)
    sql = f"INSERT INTO {table} (name, owner) VALUES (%s, %s)"
    consumed: list[int] = []

    def rows() -> Iterator[tuple[str, str]]:
        for number in range(3):
            consumed.append(number)
            yield (f"row{number}", "")

    with connections[alias].cursor() as cursor:
        with read_only(), pytest.raises(ReadOnlyError):
            cursor.executemany(sql, cast(Any, rows()))
        assert consumed == []
        cursor.executemany(sql, cast(Any, rows()))
    assert names(alias) == ["row0", "row1", "row2"]


@every_database
def test_async_orm_follows_the_scope(alias: str) -> None:
    async def main() -> None:
        async with temp_writes():
            await Item.objects.using(alias).acreate(name="async")
        async with read_only():
            assert await Item.objects.using(alias).acount() == 1
            assert (await Item.objects.using(alias).aget()).name == "async"
            with pytest.raises(ReadOnlyError):
                await Item.objects.using(alias).acreate(name="blocked")

    disable_writes()
    async_to_sync(main)()
    assert names(alias) == ["async"]


@every_database
def test_coroutines_sharing_one_connection_each_obey_their_scope(alias: str) -> None:
    """Outside a ThreadSensitiveContext, both run on one thread and connection."""
    create = sync_to_async(lambda name: Item.objects.using(alias).create(name=name))

    async def attempt(scope: Any, name: str, turns: int) -> list[bool]:
        outcomes = []
        async with scope:
            for turn in range(turns):
                await asyncio.sleep(0)
                try:
                    await create(f"{name}{turn}")
                    outcomes.append(True)
                except ReadOnlyError:
                    outcomes.append(False)
        return outcomes

    async def main() -> tuple[list[bool], list[bool]]:
        return await asyncio.gather(
            attempt(temp_writes(), "w", 5), attempt(read_only(), "r", 5)
        )

    allowed, blocked = async_to_sync(main)()
    assert allowed == [True] * 5
    assert blocked == [False] * 5
    assert names(alias) == ["w0", "w1", "w2", "w3", "w4"]


@every_database
def test_context_outliving_a_read_only_block_may_write_again(alias: str) -> None:
    with read_only():
        context = contextvars.copy_context()
    context.run(Item.objects.using(alias).create, name="later")
    assert names(alias) == ["later"]


@every_database
def test_reads_pass_when_writes_are_blocked(alias: str) -> None:
    Item.objects.using(alias).create(name="x")
    disable_writes()
    assert list(Item.objects.using(alias).values_list("name", flat=True)) == ["x"]
    assert Item.objects.using(alias).filter(name__startswith="x").exists()


@every_database
def test_guard_is_installed_once_and_outermost(alias: str) -> None:
    connection = connections[alias]

    def other(execute: Any, *args: Any) -> Any:
        return execute(*args)

    with connection.execute_wrapper(other):
        for _ in range(3):
            connection.close()
            connection.ensure_connection()
            install(connection)
        assert connection.execute_wrappers == [guard_for(connection.vendor), other]
    assert connection.execute_wrappers == [guard_for(connection.vendor)]


@every_database
def test_pooled_checkouts_do_not_stack_the_guard(postgresql: str) -> None:
    connection: Any = connections[f"{postgresql}_pool"]
    checkouts: list[object] = []

    def count(sender: object, connection: object, **kwargs: object) -> None:
        checkouts.append(connection)

    connection_created.connect(count)
    try:
        for _ in range(3):
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            connection.close()  # Back to the pool.
        disable_writes()
        with connection.cursor() as cursor, pytest.raises(ReadOnlyError):
            cursor.execute("CREATE TEMPORARY TABLE pooled (x integer)")
    finally:
        connection_created.disconnect(count)
        connection.close_pool()
    assert len(checkouts) == 4
    assert connection.execute_wrappers == [guard_for("postgresql")]


def test_guard_goes_outside_wrappers_installed_before_it() -> None:
    connection = connections["default"]
    guard = guard_for("sqlite")
    connection.execute_wrappers.remove(guard)

    def other(execute: Any, *args: Any) -> Any:
        return execute(*args)

    with connection.execute_wrapper(other):
        install(connection)
        assert connection.execute_wrappers == [guard, other]


@default_database
def test_connections_made_in_new_threads_are_guarded() -> None:
    disable_writes()
    outcome: list[object] = []

    def write() -> None:
        try:
            Item.objects.create(name="thread")
        except ReadOnlyError as error:
            outcome.append(error)
        finally:
            outcome.append(
                guard_for("sqlite") in connections["default"].execute_wrappers
            )
            connections.close_all()

    thread = threading.Thread(target=write)
    thread.start()
    thread.join()
    assert isinstance(outcome[0], ReadOnlyError)
    assert outcome[1] is True


# What the error says.


def blocked_message(alias: str = "default") -> str:
    with pytest.raises(ReadOnlyError) as excinfo:
        Item.objects.using(alias).create(name="x")
    return str(excinfo.value)


@default_database
def test_message_for_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_READ_ONLY", "1")
    load_flag()
    message = blocked_message()
    assert message.startswith("Write blocked on database 'default': INSERT INTO ")
    assert (
        "disabled for the whole process by the DJANGO_READ_ONLY environment" in message
    )
    assert "call readonly_scopes.enable_writes()" in message
    assert "`with readonly_scopes.temp_writes():`" in message
    assert "`DJANGO_READ_ONLY= <command>`" in message
    assert "%read_only" not in message


@default_database
def test_message_for_the_setting() -> None:
    with override_settings(DJANGO_READ_ONLY=True):
        message = blocked_message()
    assert "by the DJANGO_READ_ONLY setting" in message
    assert "set DJANGO_READ_ONLY = False in your settings" in message


@default_database
def test_message_for_disable_writes_names_the_call_and_the_magic() -> None:
    disable_writes()
    MAGIC.loaded = True
    message = blocked_message()
    assert f"by disable_writes() called at {__file__}:" in message
    assert "run `%read_only off`" in message


@default_database
def test_message_for_a_read_only_scope_names_where_it_was_entered() -> None:
    line = sys._getframe().f_lineno + 1
    with read_only():
        message = blocked_message()
    expected = f"inside read_only() entered at {__file__}:{line} in "
    assert expected in message
    assert "whatever the process-wide flag says" in message
    assert "run it inside `with temp_writes():` within that block" in message


@default_database
def test_message_for_a_decorated_function_names_it() -> None:
    @read_only
    def decorated() -> str:
        return blocked_message()

    assert "read_only() entered at " in decorated()
    assert "in test_message_for_a_decorated_function_names_it.<locals>.decorated()" in (
        decorated()
    )


@default_database
def test_message_for_an_async_with_scope_names_where_it_was_entered() -> None:
    async def main() -> str:
        async with read_only():
            return await sync_to_async(blocked_message)()

    assert f"entered at {__file__}:" in async_to_sync(main)()


@default_database
def test_message_for_a_scope_that_ended() -> None:
    disable_writes()

    async def main() -> str:
        started, ended = asyncio.Event(), asyncio.Event()

        async def late() -> str:
            started.set()
            await ended.wait()
            return await sync_to_async(blocked_message)()

        async with temp_writes():
            task = asyncio.create_task(late())
            await started.wait()
        ended.set()
        return await task

    message = async_to_sync(main)()
    assert f"The temp_writes() scope entered at {__file__}:" in message
    assert "has ended" in message
    assert "fell back to the enclosing state" in message
    assert "enter temp_writes() in the code that runs later" in message


@default_database
def test_message_shortens_long_statements() -> None:
    disable_writes()
    statement = "UPDATE t SET a = 1 WHERE " + " OR ".join(["b = 2"] * 100)
    with (
        connections["default"].cursor() as cursor,
        pytest.raises(ReadOnlyError) as info,
    ):
        cursor.execute(statement)
    first_line = str(info.value).splitlines()[0]
    assert first_line.endswith("…")
    assert len(first_line) < 260


# Statements that are not plain strings.


class Rendered:
    def __init__(self, text: object) -> None:
        self.text = text

    def as_string(self, context: object) -> object:
        if isinstance(self.text, Exception):
            raise self.text
        return self.text


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1", "SELECT 1"),
        (b"SELECT 1", "SELECT 1"),
        (b"\xff", None),
        (Rendered("SELECT 2"), "SELECT 2"),
        (Rendered(ValueError("cannot render")), None),
        (Rendered(b"SELECT 3"), None),
        (42, None),
    ],
)
def test_statement_text(sql: object, expected: str | None) -> None:
    assert statement_text(sql, connections["default"]) == expected


def test_reads_that_are_not_strings_pass() -> None:
    disable_writes()
    executed: list[object] = []

    def execute(sql: object, *args: object) -> str:
        executed.append(sql)
        return "done"

    statement = Rendered("SELECT 1")
    context = {"connection": connections["default"]}
    assert guard_for("sqlite")(execute, statement, None, False, context) == "done"
    assert executed == [statement]


@default_database
def test_statement_that_cannot_be_read_is_blocked() -> None:
    disable_writes()
    with (
        connections["default"].cursor() as cursor,
        pytest.raises(ReadOnlyError) as info,
    ):
        cursor.execute(cast(Any, Rendered(ValueError("no"))))
    assert "<Rendered object> (it could not be turned into SQL text" in str(info.value)


@every_database
def test_psycopg_composed_statements(postgresql: str) -> None:
    from psycopg import sql

    alias = postgresql
    table = sql.Identifier(Item._meta.db_table)
    disable_writes()
    with connections[alias].cursor() as cursor:
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(table))
        assert cursor.fetchone() == (0,)
        insert = sql.SQL("INSERT INTO {} (name, owner) VALUES (%s, '')").format(table)
        with pytest.raises(ReadOnlyError, match=r'INSERT INTO "testapp_item"'):
            cursor.execute(insert, ["x"])
    assert names(alias) == []


class Hearing(list[BlockedWrite]):
    """A scope's watcher that keeps what it hears and gives one answer."""

    def __init__(self, lets_run: bool) -> None:
        super().__init__()
        self.lets_run = lets_run

    def __call__(self, blocked: BlockedWrite) -> bool:
        self.append(blocked)
        return self.lets_run


@every_database
def test_a_watching_scope_hears_of_each_blocked_write(alias: str) -> None:
    heard = Hearing(lets_run=False)
    with Scope(allows_writes=False, kind="watching()", watcher=heard):
        assert names(alias) == []
        with pytest.raises(ReadOnlyError):
            Item.objects.using(alias).create(name="new")
    assert names(alias) == []
    assert [(b.alias, b.decided) for b in heard] == [(alias, True)]
    assert heard[0].statement.startswith("INSERT INTO")
    assert "testapp_item" in heard[0].statement


@every_database
def test_a_watching_scope_may_let_the_writes_it_blocked_run(alias: str) -> None:
    heard = Hearing(lets_run=True)
    with Scope(allows_writes=False, kind="watching()", watcher=heard):
        Item.objects.using(alias).create(name="new")
        # Blocked by the inner scope: the watcher hears of it but cannot run it.
        with read_only(), pytest.raises(ReadOnlyError):
            Item.objects.using(alias).create(name="blocked")
    assert names(alias) == ["new"]
    assert [b.decided for b in heard] == [True, False]


@default_database
def test_a_closed_watching_scope_hears_nothing() -> None:
    heard = Hearing(lets_run=False)
    scope = Scope(allows_writes=False, kind="watching()", watcher=heard)
    disable_writes()
    with scope:
        pass
    with pytest.raises(ReadOnlyError):
        Item.objects.create(name="new")
    assert heard == []


# Scopes and the flag for some databases only.


@every_database
def test_a_scope_for_one_database_blocks_writes_there_only(alias: str) -> None:
    other = beside(alias)
    line = sys._getframe().f_lineno
    with read_only(using=alias):
        Item.objects.using(other).create(name="other")
        with pytest.raises(ReadOnlyError) as info:
            Item.objects.using(alias).create(name="blocked")
        assert Item.objects.using(alias).count() == 0
    assert (names(alias), names(other)) == ([], ["other"])
    message = str(info.value)
    assert message.startswith(f"Write blocked on database {alias!r}: INSERT INTO")
    where = "test_a_scope_for_one_database_blocks_writes_there_only()"
    assert (
        f"It ran inside read_only(using={alias!r}) entered at "
        f"{__file__}:{line + 1} in {where}, which blocks writes"
    ) in message
    assert message.endswith(
        f"To allow it, run it inside `with temp_writes(using={alias!r}):` within "
        "that block, or outside it."
    )


@every_database
def test_a_per_database_scope_inside_one_for_every_database(alias: str) -> None:
    other = beside(alias)
    with read_only(), temp_writes(using=alias):
        Item.objects.using(alias).create(name="allowed")
        with pytest.raises(ReadOnlyError, match=r"inside read_only\(\) entered at"):
            Item.objects.using(other).create(name="blocked")
    disable_writes()
    with temp_writes(), read_only(using=other):
        Item.objects.using(alias).create(name="again")
        with pytest.raises(ReadOnlyError, match=rf"read_only\(using={other!r}\)"):
            Item.objects.using(other).create(name="blocked")
    with temp_writes(using=other), pytest.raises(ReadOnlyError) as info:
        Item.objects.using(alias).create(name="blocked")
    assert "Writes are disabled for the whole process by disable_writes()" in str(
        info.value
    )
    assert (names(alias), names(other)) == (["again", "allowed"], [])


@every_database
def test_the_flag_for_one_database_blocks_writes_there_only(alias: str) -> None:
    other = beside(alias)
    with override_settings(DJANGO_READ_ONLY=[alias]):
        Item.objects.using(other).create(name="other")
        with pytest.raises(ReadOnlyError) as info:
            Item.objects.using(alias).create(name="blocked")
        with temp_writes(using=alias):
            Item.objects.using(alias).create(name="allowed")
    assert (names(alias), names(other)) == (["allowed"], ["other"])
    assert str(info.value).split("\n", 1)[1] == (
        f"Writes are disabled on database {alias!r} by the DJANGO_READ_ONLY "
        f"setting, which makes only {alias!r} read-only for the whole process.\n"
        f"To allow it, call readonly_scopes.enable_writes(using={alias!r}) for the "
        "whole process, or wrap the code in `with "
        f"readonly_scopes.temp_writes(using={alias!r}):` for one block, or take "
        f"{alias!r} out of DJANGO_READ_ONLY in your settings."
    )


@default_database
def test_disable_writes_for_one_database_says_where_it_was_called(
    other_alias: str,
) -> None:
    line = sys._getframe().f_lineno
    disable_writes(using="default")
    with pytest.raises(ReadOnlyError) as info:
        Item.objects.create(name="blocked")
    where = "test_disable_writes_for_one_database_says_where_it_was_called()"
    assert (
        "Writes are disabled on database 'default' by disable_writes(using="
        f"'default') called at {__file__}:{line + 1} in {where}, which makes only "
        "'default' read-only for the whole process."
    ) in str(info.value)


@default_database
def test_a_task_outliving_a_per_database_block_says_which_scope_ended(
    other_alias: str,
) -> None:
    disable_writes()

    def blocked_message() -> str:
        with pytest.raises(ReadOnlyError) as info:
            Item.objects.create(name="late")
        return str(info.value)

    async def main() -> str:
        started, ended = asyncio.Event(), asyncio.Event()

        async def late() -> str:
            started.set()
            await ended.wait()
            return await sync_to_async(blocked_message)()

        async with temp_writes(using=other_alias), temp_writes(using="default"):
            task = asyncio.create_task(late())
            await started.wait()
        ended.set()
        return await task

    message = async_to_sync(main)()
    assert "The temp_writes(using='default') scope entered at" in message
    assert "has ended" in message


@every_database
def test_a_per_database_watching_scope_hears_of_writes_there_only(alias: str) -> None:
    other = beside(alias)
    heard = Hearing(lets_run=True)
    disable_writes()
    with AliasScope(False, "watching()", frozenset([alias]), watcher=heard):
        Item.objects.using(alias).create(name="let run")
        with pytest.raises(ReadOnlyError, match="by disable_writes"):
            Item.objects.using(other).create(name="blocked by the flag")
    assert [(b.alias, b.decided) for b in heard] == [(alias, True)]
    assert (names(alias), names(other)) == (["let run"], [])
