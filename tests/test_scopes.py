from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from asgiref.sync import ThreadSensitiveContext, async_to_sync, sync_to_async
from django.conf import settings

from readonly_scopes import (
    disable_writes,
    enable_writes,
    read_only,
    temp_writes,
    writes_allowed,
)
from readonly_scopes.state import current_activation, decide

T = TypeVar("T")


def in_thread(func: Callable[[], T]) -> T:
    results: list[T] = []
    thread = threading.Thread(target=lambda: results.append(func()))
    thread.start()
    thread.join()
    return results[0]


# Blocks: with, async with, nesting, restoring.


def test_temp_writes_allows_inside_and_restores_after() -> None:
    disable_writes()
    with temp_writes():
        assert writes_allowed()
    assert not writes_allowed()


def test_read_only_blocks_inside_and_restores_after() -> None:
    with read_only():
        assert not writes_allowed()
    assert writes_allowed()


def test_nested_scopes_restore_each_level() -> None:
    with read_only():
        with temp_writes():
            with read_only():
                assert not writes_allowed()
            assert writes_allowed()
        assert not writes_allowed()
    assert writes_allowed()


def test_scopes_restore_when_the_block_raises() -> None:
    disable_writes()
    with pytest.raises(ZeroDivisionError), temp_writes(), read_only():
        1 / 0  # noqa: B018
    assert not writes_allowed()
    assert decide().decided_by is None


def test_innermost_scope_wins_over_the_process_flag() -> None:
    with read_only():
        enable_writes()
        assert not writes_allowed()
    assert writes_allowed()
    with temp_writes():
        disable_writes()
        assert writes_allowed()
    assert not writes_allowed()


def test_one_scope_object_can_be_reentered() -> None:
    disable_writes()
    scope = temp_writes()
    with scope:
        with scope:
            assert writes_allowed()
        assert writes_allowed()
        with read_only():
            with scope:
                assert writes_allowed()
            assert not writes_allowed()
    assert not writes_allowed()


def test_async_with() -> None:
    async def main() -> list[bool]:
        seen = []
        disable_writes()
        async with temp_writes():
            await asyncio.sleep(0)
            seen.append(writes_allowed())
            async with read_only():
                seen.append(writes_allowed())
            seen.append(writes_allowed())
        seen.append(writes_allowed())
        return seen

    assert asyncio.run(main()) == [True, False, True, False]


def test_async_with_restores_when_the_block_raises() -> None:
    async def main() -> None:
        async with read_only():
            raise KeyError

    with pytest.raises(KeyError):
        asyncio.run(main())
    assert writes_allowed()


def test_exit_out_of_order_is_refused() -> None:
    outer, inner = temp_writes(), read_only()
    outer.__enter__()
    inner.__enter__()
    with pytest.raises(RuntimeError, match="innermost open scope"):
        outer.__exit__(None, None, None)
    inner.__exit__(None, None, None)
    outer.__exit__(None, None, None)
    with pytest.raises(RuntimeError, match=r"temp_writes\(\) was exited"):
        outer.__exit__(None, None, None)


def test_repr_names_the_scope() -> None:
    assert repr(temp_writes()) == "temp_writes()"
    assert repr(read_only()) == "read_only()"


def test_scopes_without_arguments_are_shared_and_cannot_be_changed() -> None:
    assert temp_writes() is temp_writes()
    assert read_only() is read_only()
    with pytest.raises(AttributeError, match="shared by every caller"):
        temp_writes().allows_writes = False
    with temp_writes():
        assert writes_allowed()


def innermost_origin() -> str:
    decided_by = decide().decided_by
    assert decided_by is not None
    return str(decided_by.origin)


def test_origin_is_where_the_scope_was_entered() -> None:
    line = sys._getframe().f_lineno
    with read_only():
        entered_with = innermost_origin()

    async def main() -> str:
        async with temp_writes():
            return innermost_origin()

    where = f"{__file__}:{line + 1} in test_origin_is_where_the_scope_was_entered()"
    assert entered_with == where
    assert asyncio.run(main()) == f"{__file__}:{line + 5} in main()"
    decorated = read_only(innermost_origin)
    assert decorated() == f"{__file__}:{line + 11} in innermost_origin()"


# Decorators.

EVERY_DECORATOR_FORM = pytest.mark.parametrize(
    ("decorator", "allows"),
    [
        (temp_writes, True),
        (temp_writes(), True),
        (read_only, False),
        (read_only(), False),
    ],
    ids=["@temp_writes", "@temp_writes()", "@read_only", "@read_only()"],
)


@EVERY_DECORATOR_FORM
def test_decorates_sync_functions(decorator: Any, allows: bool) -> None:
    def check(value: int) -> tuple[bool, int]:
        """Docstring."""
        return writes_allowed(), value

    if allows:
        disable_writes()
    decorated = decorator(check)
    assert decorated(5) == (allows, 5)
    assert writes_allowed() is not allows
    assert decorated.__name__ == "check"
    assert decorated.__doc__ == "Docstring."


@EVERY_DECORATOR_FORM
def test_decorates_async_functions(decorator: Any, allows: bool) -> None:
    async def check(value: int) -> tuple[bool, bool, int]:
        before = writes_allowed()
        await asyncio.sleep(0)
        return before, writes_allowed(), value

    if allows:
        disable_writes()
    decorated = decorator(check)
    assert inspect.iscoroutinefunction(decorated)
    assert asyncio.run(decorated(7)) == (allows, allows, 7)
    assert writes_allowed() is not allows


def test_decorated_functions_restore_when_they_raise() -> None:
    disable_writes()

    @temp_writes
    def fail() -> None:
        raise KeyError

    @temp_writes
    async def fail_async() -> None:
        raise KeyError

    with pytest.raises(KeyError):
        fail()
    with pytest.raises(KeyError):
        asyncio.run(fail_async())
    assert not writes_allowed()


def test_decorator_scope_is_fresh_per_call_across_tasks() -> None:
    disable_writes()

    @temp_writes
    async def work(name: str, events: dict[str, asyncio.Event]) -> bool:
        if name == "first":
            return writes_allowed()
        await events["first_done"].wait()
        # The first call has ended its scope; this call's own scope remains.
        return writes_allowed()

    async def main() -> list[bool]:
        events = {"first_done": asyncio.Event()}
        second = asyncio.create_task(work("second", events))
        await asyncio.sleep(0)
        first = await work("first", events)
        events["first_done"].set()
        return [first, await second, writes_allowed()]

    assert asyncio.run(main()) == [True, True, False]


def test_decorator_scope_is_fresh_per_call_across_threads() -> None:
    disable_writes()
    barrier = threading.Barrier(8)
    results: list[bool] = []

    @temp_writes
    def work() -> None:
        barrier.wait()
        results.append(writes_allowed())
        barrier.wait()
        results.append(writes_allowed())

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 16
    assert not writes_allowed()


def test_decorates_callable_objects() -> None:
    def check(expected: bool) -> bool:
        return writes_allowed() is expected

    decorated = read_only(functools.partial(check, False))
    assert decorated()


def test_refuses_classes() -> None:
    class Thing:
        pass

    with pytest.raises(
        TypeError, match=r"cannot decorate the class .*Thing: decorate its"
    ):
        temp_writes(Thing)


def test_refuses_generator_functions() -> None:
    def numbers() -> Iterator[int]:
        yield 1

    async def async_numbers() -> AsyncIterator[int]:
        yield 1

    with pytest.raises(
        TypeError, match=r"generator function .*numbers.*`with read_only\(\):`"
    ):
        read_only()(numbers)
    with pytest.raises(TypeError, match=r"generator function .*async_numbers"):
        temp_writes(async_numbers)


def test_refuses_values_that_are_not_callable() -> None:
    with pytest.raises(
        TypeError, match=r"decorates functions and coroutine functions, not 5"
    ):
        temp_writes(5)  # type: ignore[call-overload]


# Where a scope is visible.


def test_visible_in_awaited_code_and_tasks() -> None:
    async def inner() -> bool:
        await asyncio.sleep(0)
        return writes_allowed()

    async def main() -> tuple[bool, bool]:
        async with read_only():
            awaited = await inner()
            task = asyncio.create_task(inner())
            from_task = await task
        return awaited, from_task

    assert asyncio.run(main()) == (False, False)


@pytest.mark.parametrize("thread_sensitive", [True, False])
def test_visible_in_sync_to_async(thread_sensitive: bool) -> None:
    async def main() -> bool:
        async with read_only():
            return await sync_to_async(
                writes_allowed, thread_sensitive=thread_sensitive
            )()

    assert asyncio.run(main()) is False
    assert writes_allowed()


def test_visible_in_async_to_sync() -> None:
    async def check() -> bool:
        return writes_allowed()

    with read_only():
        assert async_to_sync(check)() is False


def test_visible_in_thread_sensitive_context() -> None:
    async def main() -> bool:
        async with ThreadSensitiveContext(), read_only():
            return await sync_to_async(writes_allowed)()

    assert asyncio.run(main()) is False


def test_visible_in_to_thread() -> None:
    async def main() -> bool:
        async with read_only():
            return await asyncio.to_thread(writes_allowed)

    assert asyncio.run(main()) is False


def test_not_visible_in_plain_threads_and_executors() -> None:
    disable_writes()
    with temp_writes():
        assert in_thread(writes_allowed) is False
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(writes_allowed).result() is False
        # The documented way to carry the scope into a thread.
        context = contextvars.copy_context()
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(context.run, writes_allowed).result() is True


def test_not_visible_in_run_in_executor() -> None:
    async def main() -> bool:
        async with read_only():
            return await asyncio.get_running_loop().run_in_executor(
                None, writes_allowed
            )

    assert asyncio.run(main()) is True


# A scope lasts exactly as long as its block.


def test_task_outliving_its_block_falls_back_to_the_process_flag() -> None:
    disable_writes()

    async def late(started: asyncio.Event, block_ended: asyncio.Event) -> list[bool]:
        seen = [writes_allowed()]
        started.set()
        await block_ended.wait()
        seen.append(writes_allowed())
        return seen

    async def main() -> list[bool]:
        started, block_ended = asyncio.Event(), asyncio.Event()
        async with temp_writes():
            task = asyncio.create_task(late(started, block_ended))
            await started.wait()
        block_ended.set()
        return await task

    assert asyncio.run(main()) == [True, False]


def test_copied_context_falls_back_to_the_enclosing_open_scope() -> None:
    disable_writes()
    with temp_writes():
        with read_only():
            context = contextvars.copy_context()
            assert context.run(writes_allowed) is False
        # The read_only() block ended; the temp_writes() around it is still open.
        assert context.run(writes_allowed) is True
    assert context.run(writes_allowed) is False
    decision = context.run(decide)
    assert decision.decided_by is None
    assert decision.ended_scope is not None
    assert decision.ended_scope.kind == "temp_writes()"


def test_copied_context_in_a_thread_falls_back_after_the_block() -> None:
    disable_writes()
    with temp_writes():
        context = contextvars.copy_context()
    assert in_thread(lambda: context.run(writes_allowed)) is False


def test_scope_entered_in_a_late_task_still_applies() -> None:
    disable_writes()
    with temp_writes():
        context = contextvars.copy_context()

    def enter_late() -> bool:
        with temp_writes():
            return writes_allowed()

    assert context.run(enter_late) is True


# Scopes for some databases only.


def states(other: str) -> tuple[bool, bool, bool]:
    """Writes allowed on "default", on the other database, and on every one."""
    return writes_allowed("default"), writes_allowed(other), writes_allowed()


def test_a_scope_for_one_database_leaves_the_others_as_they_were(
    other_alias: str,
) -> None:
    with read_only(using="default"):
        assert states(other_alias) == (False, True, False)
    assert states(other_alias) == (True, True, True)
    disable_writes()
    with temp_writes(using=other_alias):
        assert states(other_alias) == (False, True, False)
    with temp_writes(using=("default", other_alias)):
        assert states(other_alias) == (True, True, len(settings.DATABASES) == 2)
    with temp_writes(using=tuple(settings.DATABASES)):
        assert states(other_alias) == (True, True, True)
    assert states(other_alias) == (False, False, False)


def test_per_database_scopes_nest_within_scopes_for_every_database(
    other_alias: str,
) -> None:
    with read_only():
        with temp_writes(using="default"):
            assert states(other_alias) == (True, False, False)
            with read_only(using="default"):
                assert states(other_alias) == (False, False, False)
            assert states(other_alias) == (True, False, False)
        assert states(other_alias) == (False, False, False)
    with temp_writes(), read_only(using=other_alias):
        assert states(other_alias) == (True, False, False)
        # A scope for every database inside decides for every one again.
        with temp_writes():
            assert states(other_alias) == (True, True, True)


def test_a_per_database_scope_never_takes_the_guards_fast_path(
    other_alias: str,
) -> None:
    # What the other databases allow is decided further out, and may change.
    with temp_writes(), temp_writes(using=tuple(settings.DATABASES)):
        assert current_activation.get().writes_pass is False
        assert states(other_alias) == (True, True, True)
    assert current_activation.get().writes_pass is True


def test_per_database_scopes_are_new_objects_and_the_others_stay_shared() -> None:
    scope = read_only(using="default")
    assert scope is not read_only(using="default")
    assert repr(scope) == "read_only(using='default')"
    assert temp_writes(using=None) is temp_writes()
    assert read_only(using=None) is read_only()
    with pytest.raises(AttributeError, match="shared by every caller"):
        scope.aliases = frozenset()


def test_several_databases_are_named_in_a_stable_order(other_alias: str) -> None:
    names = tuple(sorted(("default", other_alias)))
    assert repr(temp_writes(using=[other_alias, "default"])) == (
        f"temp_writes(using={names!r})"
    )
    assert repr(read_only(using={"default"})) == "read_only(using='default')"


def test_per_database_async_with(other_alias: str) -> None:
    async def main() -> list[tuple[bool, bool, bool]]:
        seen = []
        async with read_only(using=other_alias):
            await asyncio.sleep(0)
            seen.append(states(other_alias))
            async with temp_writes(using=other_alias):
                seen.append(states(other_alias))
            seen.append(await sync_to_async(states)(other_alias))
            seen.append(
                await asyncio.create_task(asyncio.to_thread(states, other_alias))
            )
        seen.append(states(other_alias))
        return seen

    assert asyncio.run(main()) == [
        (True, False, False),
        (True, True, True),
        (True, False, False),
        (True, False, False),
        (True, True, True),
    ]


def test_per_database_decorators(other_alias: str) -> None:
    @read_only(using="default")
    def check() -> tuple[bool, bool, bool]:
        return states(other_alias)

    @temp_writes(using=(other_alias,))
    async def check_async() -> tuple[bool, bool, bool]:
        await asyncio.sleep(0)
        return states(other_alias)

    assert check() == (False, True, False)
    disable_writes()
    assert inspect.iscoroutinefunction(check_async)
    assert asyncio.run(check_async()) == (False, True, False)
    assert states(other_alias) == (False, False, False)
    assert check.__name__ == "check"


def origin_on_default() -> str:
    decided_by = decide("default").decided_by
    assert decided_by is not None
    return str(decided_by.origin)


def test_a_per_database_scope_says_where_it_was_entered() -> None:
    line = sys._getframe().f_lineno
    with read_only(using="default"):
        entered_with = origin_on_default()
    decorated = read_only(using="default")(origin_on_default)
    where = "test_a_per_database_scope_says_where_it_was_entered()"
    assert entered_with == f"{__file__}:{line + 1} in {where}"
    assert decorated() == f"{__file__}:{line + 3} in origin_on_default()"


def test_a_per_database_scope_decorates_a_function_passed_with_using() -> None:
    def check() -> bool:
        return writes_allowed("default")

    assert read_only(check, using="default")() is False
    disable_writes()
    assert temp_writes(check, using="default")() is True


def test_a_per_database_scope_exited_out_of_order_is_refused() -> None:
    outer, inner = read_only(), read_only(using="default")
    outer.__enter__()
    inner.__enter__()
    with pytest.raises(RuntimeError, match=r"read_only\(\) was exited"):
        outer.__exit__(None, None, None)
    inner.__exit__(None, None, None)
    with pytest.raises(RuntimeError, match=r"read_only\(using='default'\) was exited"):
        inner.__exit__(None, None, None)
    outer.__exit__(None, None, None)
    assert writes_allowed()


@pytest.mark.parametrize(
    ("using", "error", "words"),
    [
        ("nowhere", ValueError, "but 'nowhere' is not in DATABASES"),
        (("default", "nowhere"), ValueError, "but 'nowhere' is not in DATABASES"),
        ((), ValueError, "names no database; leave using out for every database"),
        ([], ValueError, "names no database"),
        (5, TypeError, "as a database alias or a tuple of them, not 5 (int)"),
        (("default", 5), TypeError, "whose 5 is not a database alias"),
    ],
)
def test_a_using_that_names_no_database_is_refused_at_the_call(
    using: Any, error: type[Exception], words: str
) -> None:
    for call in (read_only, temp_writes):
        with pytest.raises(error) as info:
            call(using=using)
        message = str(info.value)
        assert message.startswith(f"{call.__name__}() ")
        assert words in message
        assert "The databases are 'default'" in message


def test_an_alias_given_as_the_function_says_how_to_name_databases() -> None:
    with pytest.raises(TypeError, match=r"write read_only\(using='default'\)"):
        read_only("default")  # type: ignore[call-overload]


def test_a_task_outliving_a_per_database_block_falls_back_on_that_database(
    other_alias: str,
) -> None:
    disable_writes()

    async def late(started: asyncio.Event, ended: asyncio.Event) -> list[Any]:
        seen: list[Any] = [states(other_alias)]
        started.set()
        await ended.wait()
        seen.append(states(other_alias))
        seen.append((decide("default").ended_scope, decide(other_alias).ended_scope))
        return seen

    async def main() -> list[Any]:
        started, ended = asyncio.Event(), asyncio.Event()
        async with temp_writes(), temp_writes(using="default"):
            task = asyncio.create_task(late(started, ended))
            await started.wait()
        ended.set()
        return await task

    before, after, (on_default, on_other) = asyncio.run(main())
    assert before == (True, True, True)
    assert after == (False, False, False)
    # Each database names the innermost ended scope that had allowed it.
    assert on_default.kind == "temp_writes(using='default')"
    assert on_other.kind == "temp_writes()"


def test_a_plain_thread_sees_the_flag_only(other_alias: str) -> None:
    disable_writes(using="default")
    with temp_writes(using="default"), read_only(using=other_alias):
        assert states(other_alias) == (True, False, False)
        assert in_thread(lambda: states(other_alias)) == (False, True, False)
