from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asgiref.sync import ThreadSensitiveContext, async_to_sync, sync_to_async

from readonly_scopes import (
    disable_writes,
    enable_writes,
    read_only,
    temp_writes,
    writes_allowed,
)
from readonly_scopes.state import decide


def in_thread(func: Callable[[], bool]) -> bool:
    results: list[bool] = []
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
