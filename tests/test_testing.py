"""
``no_writes()`` and ``NoWritesMixin`` in this process, on every database. The
pytest plugin built on them is tested in ``test_pytest_plugin.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import suppress

import pytest
from asgiref.sync import async_to_sync
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.test import TestCase, override_settings

from readonly_scopes import ReadOnlyError, read_only, temp_writes, writes_allowed
from readonly_scopes.testing import AttemptedWrite, NoWritesMixin, no_writes
from tests.conftest import BACKENDS, beside, configured_alias
from tests.testapp.models import Item

# In the test's transaction, which is cheaper than emptying every database
# after each test; so a blocked write runs in a savepoint (atomic()), since
# like any database error it spoils the transaction around it.
# Not "__all__": the PostgreSQL pool's connections, open after the test's
# transaction, would keep its test database from being dropped.
CONFIGURED = [alias for alias, _ in BACKENDS.values() if alias in settings.DATABASES]
every_database = pytest.mark.django_db(databases=CONFIGURED)
default_database = pytest.mark.django_db(transaction=True)


def names(alias: str) -> list[str]:
    return sorted(Item.objects.using(alias).values_list("name", flat=True))


def next_line() -> int:
    return sys._getframe(1).f_lineno + 1


def failure_of(block: Callable[[], object]) -> AssertionError:
    with pytest.raises(AssertionError) as failed:
        block()
    assert writes_allowed()
    return failed.value


def attempted(failure: BaseException) -> tuple[AttemptedWrite, ...]:
    found: tuple[AttemptedWrite, ...] = vars(failure)["attempted_writes"]
    return found


@every_database
def test_reads_pass_and_a_write_fails_the_block(alias: str) -> None:
    Item.objects.using(alias).create(name="kept")
    lines: dict[str, int] = {}

    def write() -> None:
        Item.objects.using(alias).create(name="new")

    def block() -> None:
        lines["entered"] = next_line()
        with no_writes():
            assert names(alias) == ["kept"]
            assert not writes_allowed()
            with (
                pytest.raises(ReadOnlyError, match=r"inside no_writes\(\) entered"),
                transaction.atomic(using=alias),
            ):
                write()

    failure = failure_of(block)
    assert names(alias) == ["kept"]
    first, listed = str(failure).splitlines()
    assert first == (
        f"1 write attempted inside no_writes() entered at {__file__}:"
        f"{lines['entered']} in block():"
    )
    assert listed.startswith(f"- on database {alias!r}: INSERT INTO ")
    assert "testapp_item" in listed
    where = f"{__file__}:{write.__code__.co_firstlineno + 1} in write()"
    assert listed.endswith(f"(from {where})")
    [attempt] = attempted(failure)
    assert (attempt.alias, attempt.where) == (alias, where)
    assert attempt.statement.startswith("INSERT INTO")


@every_database
def test_a_blocked_write_on_its_way_out_becomes_the_failure(alias: str) -> None:
    Item.objects.using(alias).create(name="kept")

    def block() -> None:
        with no_writes(), transaction.atomic(using=alias):
            Item.objects.using(alias).update(name="changed")

    failure = failure_of(block)
    assert type(failure) is AssertionError
    assert isinstance(failure.__cause__, ReadOnlyError)
    assert f"on database {alias!r}: UPDATE " in str(failure)
    assert names(alias) == ["kept"]


@every_database
def test_writes_the_code_swallowed_still_fail_and_each_is_listed(alias: str) -> None:
    Item.objects.using(alias).create(name="kept")

    def block() -> None:
        with no_writes():
            with suppress(ReadOnlyError), transaction.atomic(using=alias):
                Item.objects.using(alias).create(name="new")
            with suppress(ReadOnlyError), transaction.atomic(using=alias):
                Item.objects.using(alias).all().delete()
            assert names(alias) == ["kept"]

    failure = failure_of(block)
    lines = str(failure).splitlines()
    assert lines[0].startswith("2 writes attempted inside no_writes()")
    assert lines[1].startswith(f"- on database {alias!r}: INSERT INTO ")
    assert lines[2].startswith(f"- on database {alias!r}: DELETE FROM ")
    assert failure.__cause__ is None
    assert [attempt.alias for attempt in attempted(failure)] == [alias, alias]
    assert names(alias) == ["kept"]


@every_database
def test_allowed_tables_and_temp_writes_write_as_in_production(alias: str) -> None:
    with no_writes():
        with override_settings(DJANGO_READ_ONLY_ALLOWED_TABLES=["testapp_item"]):
            Item.objects.using(alias).create(name="allowed table")
        with temp_writes():
            Item.objects.using(alias).create(name="temp_writes")
    assert names(alias) == ["allowed table", "temp_writes"]


@default_database
def test_in_warn_only_mode_the_write_runs_and_still_fails() -> None:
    def block() -> None:
        with override_settings(DJANGO_READ_ONLY_WARN_ONLY=True), no_writes():
            Item.objects.create(name="let through")

    assert "- on database 'default': INSERT INTO" in str(failure_of(block))
    assert names("default") == ["let through"]


@every_database
def test_a_write_an_inner_read_only_blocks_fails_too(alias: str) -> None:
    def block() -> None:
        with (
            no_writes(),
            temp_writes(),
            read_only(),
            suppress(ReadOnlyError),
            transaction.atomic(using=alias),
        ):
            Item.objects.using(alias).create(name="new")

    failure = failure_of(block)
    assert "1 write attempted inside no_writes()" in str(failure)
    assert f"on database {alias!r}: INSERT INTO " in str(failure)
    assert names(alias) == []


@default_database
def test_other_errors_pass_unless_a_write_was_attempted() -> None:
    def unrelated_error() -> None:
        with no_writes():
            raise ValueError("no write")

    def converted_error() -> None:
        # Code under test may turn the blocked write into an error of its own.
        with no_writes():
            try:
                Item.objects.create(name="new")
            except ReadOnlyError as error:
                raise ValueError("could not save") from error

    class Interrupted(BaseException):
        pass

    def interrupted() -> None:
        # Interrupts, pytest's skip and fail, cancellation: not replaced.
        with no_writes():
            with suppress(ReadOnlyError):
                Item.objects.create(name="new")
            raise Interrupted

    with pytest.raises(ValueError, match="no write"):
        unrelated_error()
    assert isinstance(failure_of(converted_error).__cause__, ValueError)
    with pytest.raises(Interrupted):
        interrupted()
    assert names("default") == []


@default_database
def test_a_failure_from_an_inner_no_writes_is_reported_once() -> None:
    lines: dict[str, int] = {}

    def block(write_outside_too: bool) -> None:
        lines["outer"] = next_line()
        with no_writes():
            if write_outside_too:
                with suppress(ReadOnlyError):
                    Item.objects.create(name="outer")
            lines["inner"] = next_line()
            with no_writes():
                Item.objects.create(name="inner")

    failure = failure_of(lambda: block(write_outside_too=False))
    assert f"entered at {__file__}:{lines['inner']} in block():" in str(failure)
    assert isinstance(failure.__cause__, ReadOnlyError)
    # One the inner block did not see: the outer one lists both.
    failure = failure_of(lambda: block(write_outside_too=True))
    assert str(failure).startswith(
        f"2 writes attempted inside no_writes() entered at {__file__}:"
        f"{lines['outer']} in block():"
    )
    assert "1 write attempted" in str(failure.__cause__)


@default_database
def test_decorates_functions_and_coroutine_functions() -> None:
    @no_writes
    def count() -> int:
        return Item.objects.count()

    @no_writes()
    def create(name: str) -> None:
        Item.objects.create(name=name)

    @no_writes
    async def acreate(name: str) -> None:
        await Item.objects.acreate(name=name)

    @no_writes
    async def acount() -> int:
        return await Item.objects.acount()

    assert count() == 0
    # From this thread, so that the ORM runs here, on the test's connection.
    assert async_to_sync(acount)() == 0
    for call, decorated in (
        (lambda: create("new"), create),
        (lambda: async_to_sync(acreate)("new"), acreate),
    ):
        failure = failure_of(call)
        assert isinstance(failure.__cause__, ReadOnlyError)
        assert str(failure).startswith(
            f"1 write attempted inside no_writes() entered at {__file__}:"
        )
        assert f" in {decorated.__qualname__}():\n" in str(failure)
    assert names("default") == []


@default_database
def test_async_with() -> None:
    async def main() -> None:
        async with no_writes():
            await Item.objects.acreate(name="new")

    failure = failure_of(async_to_sync(main))
    assert "- on database 'default': INSERT INTO" in str(failure)
    assert isinstance(failure.__cause__, ReadOnlyError)


def test_one_block_at_a_time_per_object_and_only_functions() -> None:
    block = no_writes()
    with block, pytest.raises(RuntimeError, match=r"already open: call no_writes"):
        block.__enter__()
    with block:  # Free again once closed.
        assert not writes_allowed()
    assert repr(block) == "no_writes()"
    with pytest.raises(TypeError, match=r"no_writes\(\) cannot decorate the class"):
        no_writes(Item)


@every_database
def test_a_decorated_function_for_one_database(other_alias: str) -> None:
    @no_writes(using=other_alias)
    def write_both() -> None:
        Item.objects.create(name="on default")
        with suppress(ReadOnlyError), transaction.atomic(using=other_alias):
            Item.objects.using(other_alias).create(name="blocked")

    failure = failure_of(write_both)
    assert [attempt.alias for attempt in attempted(failure)] == [other_alias]
    assert repr(no_writes(using=other_alias)) == f"no_writes(using={other_alias!r})"
    assert names("default") == ["on default"]
    assert names(other_alias) == []


def test_using_names_configured_databases() -> None:
    with pytest.raises(ValueError, match=r"but 'replcia' is not in DATABASES"):
        no_writes(using="replcia")


def test_refuses_to_pass_where_the_app_is_not_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(apps, "is_installed", lambda name: name != "readonly_scopes")
    with pytest.raises(RuntimeError, match=r"'readonly_scopes' in INSTALLED_APPS"):
        no_writes().__enter__()
    assert writes_allowed()


class AssertNoWritesTests(NoWritesMixin, TestCase):
    databases = set(CONFIGURED)  # noqa: RUF012 (Django's)

    @classmethod
    def setUpTestData(cls) -> None:
        for alias in cls.databases:
            Item.objects.using(alias).create(name="kept")

    def test_reads_pass(self) -> None:
        with self.assertNoWrites():
            assert names("default") == ["kept"]

    def test_a_write_fails_with_the_failure_exception(self) -> None:
        for alias in map(configured_alias, BACKENDS):
            with (
                pytest.raises(self.failureException) as failed,
                self.assertNoWrites(),
                # As any database error, a blocked write inside the test's
                # transaction spoils it, unless a savepoint is rolled back.
                transaction.atomic(using=alias),
            ):
                Item.objects.using(alias).create(name="new")
            assert f"on database {alias!r}: INSERT INTO" in str(failed.value)
            assert names(alias) == ["kept"]

    def test_a_block_for_one_database_leaves_the_others_writable(self) -> None:
        other = beside("default")

        def write_both() -> None:
            with self.assertNoWrites(using=other):
                Item.objects.create(name="on default")
                with suppress(ReadOnlyError), transaction.atomic(using=other):
                    Item.objects.using(other).create(name="blocked")

        with pytest.raises(self.failureException) as failed:
            write_both()
        [first, listed] = str(failed.value).splitlines()
        assert first.startswith(
            f"1 write attempted inside no_writes(using={other!r}) entered at "
        )
        assert listed.startswith(f"- on database {other!r}: INSERT INTO")
        assert names("default") == ["kept", "on default"]
        assert names(other) == ["kept"]


class CustomFailure(Exception):
    pass


class CustomFailureTests(NoWritesMixin, TestCase):
    failureException = CustomFailure

    def test_the_failure_is_the_test_cases_own(self) -> None:
        with (
            pytest.raises(CustomFailure),
            self.assertNoWrites(),
            suppress(ReadOnlyError),
            transaction.atomic(),
        ):
            Item.objects.create(name="new")
        assert Item.objects.count() == 0
