"""
Many threads and tasks, each in its own random nest of scopes, while another
thread flips the process flag. Every statement must be allowed or blocked
exactly as its own context says, and the data must show it: on one database,
and on two at once with scopes and a flag for one, the other or both.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from readonly_scopes import (
    ReadOnlyError,
    disable_writes,
    enable_writes,
    read_only,
    temp_writes,
)
from readonly_scopes.scopes import Scope
from tests.conftest import configured_alias
from tests.testapp.models import Item

TASKS = 1000
THREADS = 32
MAX_DEPTH = 3


class Flipper(threading.Thread):
    """Flips the process flag; unscoped statements hold the lock to know it."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.read_only = False
        self.flips = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            with self.lock:
                self.read_only = not self.read_only
                disable_writes() if self.read_only else enable_writes()
                self.flips += 1
            time.sleep(0.0005)


@dataclass
class Run:
    alias: str
    flipper: Flipper
    mistakes: list[str] = field(default_factory=list)
    written: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def statement(self, owner: str, write: bool, scoped: bool | None) -> None:
        """Run one statement in the calling context and check its outcome."""
        if scoped is None:
            with self.flipper.lock:
                self.check(owner, write, not self.flipper.read_only, "unscoped")
        else:
            self.check(owner, write, scoped, "scoped")

    def check(self, owner: str, write: bool, allowed: bool, kind: str) -> None:
        items = Item.objects.using(self.alias)
        if not write:
            seen = items.filter(owner=owner).count()
            with self.lock:
                if seen != self.written[owner]:
                    self.mistakes.append(
                        f"{owner} read {seen}, wrote {self.written[owner]}"
                    )
            return
        try:
            items.create(name="w", owner=owner)
            happened = True
        except ReadOnlyError:
            happened = False
        with self.lock:
            self.written[owner] += happened
            self.outcomes[(kind, "allowed" if happened else "blocked")] += 1
            if happened is not allowed:
                self.mistakes.append(f"{owner} {kind}: expected allowed={allowed}")


def plan(rng: random.Random, depth: int = 0) -> list[object]:
    """A random block: statements (True = write) and nested scopes."""
    steps: list[object] = []
    for _ in range(rng.randint(1, 3)):
        if depth < MAX_DEPTH and rng.random() < 0.45:
            steps.append((rng.random() < 0.5, plan(rng, depth + 1)))
        else:
            steps.append(rng.random() < 0.6)
    return steps


def scope_for(allows: bool) -> Scope:
    return temp_writes() if allows else read_only()


def run_sync(run: Run, owner: str, steps: list[object], stack: list[bool]) -> None:
    for step in steps:
        if isinstance(step, tuple):
            allows, inner = step
            with scope_for(allows):
                run_sync(run, owner, inner, [*stack, allows])
        else:
            run.statement(owner, bool(step), stack[-1] if stack else None)


async def run_async(
    run: Run,
    owner: str,
    steps: list[object],
    stack: list[bool],
    statement: Callable[[str, bool, bool | None], Awaitable[None]],
) -> None:
    for step in steps:
        await asyncio.sleep(0)
        if isinstance(step, tuple):
            allows, inner = step
            async with scope_for(allows):
                await run_async(run, owner, inner, [*stack, allows], statement)
        else:
            await statement(owner, bool(step), stack[-1] if stack else None)


def thread_main(run: Run, number: int) -> None:
    rng = random.Random(f"thread{number}")
    try:
        for _ in range(12):
            run_sync(run, f"t{number}", plan(rng), [])
    finally:
        connections.close_all()


async def tasks_main(run: Run) -> None:
    # Thread-sensitive: every task's statements share one thread and connection.
    statement = sync_to_async(run.statement)
    rngs = [random.Random(f"task{number}") for number in range(TASKS)]
    await asyncio.gather(
        *(
            run_async(run, f"a{number}", plan(rng), [], statement)
            for number, rng in enumerate(rngs)
        )
    )
    await sync_to_async(connections.close_all)()


def all_at_once(
    flipper: Flipper | DatabaseFlipper,
    threads: list[threading.Thread],
    tasks: Coroutine[Any, Any, None],
) -> None:
    """Run the threads and the tasks while the flipper moves the flag under them."""
    flipper.start()
    try:
        for thread in threads:
            thread.start()
        asyncio.run(tasks)
        for thread in threads:
            thread.join()
    finally:
        flipper.done.set()
        flipper.join()
        enable_writes()


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_every_statement_follows_its_own_context(alias: str) -> None:
    flipper = Flipper()
    run = Run(alias, flipper)
    threads = [
        threading.Thread(target=thread_main, args=(run, n)) for n in range(THREADS)
    ]
    all_at_once(flipper, threads, tasks_main(run))

    assert run.mistakes == []
    stored = Counter(Item.objects.using(alias).values_list("owner", flat=True))
    assert stored == +run.written
    # Each kind of outcome happened many times, so the test could have failed.
    for kind in ("scoped", "unscoped"):
        for outcome in ("allowed", "blocked"):
            assert run.outcomes[(kind, outcome)] >= 50, run.outcomes
    assert flipper.flips >= 10


# Two databases at once: scopes for one, the other or both, and a flag that
# goes through none, each one and both.


class DatabaseFlipper(threading.Thread):
    """Moves the process flag through every set of the two databases."""

    def __init__(self, aliases: tuple[str, str]) -> None:
        super().__init__()
        first, second = aliases
        self.sets = [frozenset(names) for names in ((), [first], [second], aliases)]
        self.lock = threading.Lock()
        self.read_only: frozenset[str] = frozenset()
        self.flips = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            with self.lock:
                self.read_only = self.sets[self.flips % len(self.sets)]
                enable_writes()
                if len(self.read_only) == 2:
                    disable_writes()
                elif self.read_only:
                    disable_writes(using=tuple(self.read_only))
                self.flips += 1
            time.sleep(0.0005)


# A scope: (allows, the database it is for or None for both, inner steps); a
# statement: (write, database).
Stack = list[tuple[bool, str | None]]


@dataclass
class TwoDatabaseRun:
    aliases: tuple[str, str]
    flipper: DatabaseFlipper
    mistakes: list[str] = field(default_factory=list)
    written: Counter[tuple[str, str]] = field(default_factory=Counter)
    outcomes: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def statement(self, owner: str, write: bool, alias: str, stack: Stack) -> None:
        # The innermost scope for this database decides, else the flag.
        decided = [allows for allows, using in stack if using in (None, alias)]
        if decided:
            self.check(owner, write, alias, decided[-1], "scoped")
            return
        with self.flipper.lock:
            allowed = alias not in self.flipper.read_only
            self.check(owner, write, alias, allowed, "unscoped")

    def check(
        self, owner: str, write: bool, alias: str, allowed: bool, kind: str
    ) -> None:
        items = Item.objects.using(alias)
        if not write:
            # Each database holds exactly what was written to it: nothing leaks.
            seen = items.filter(owner=owner).count()
            with self.lock:
                if seen != self.written[(owner, alias)]:
                    self.mistakes.append(
                        f"{owner} read {seen} on {alias}, wrote "
                        f"{self.written[(owner, alias)]}"
                    )
            return
        try:
            items.create(name="w", owner=owner)
            happened = True
        except ReadOnlyError:
            happened = False
        with self.lock:
            self.written[(owner, alias)] += happened
            self.outcomes[(alias, kind, "allowed" if happened else "blocked")] += 1
            if happened is not allowed:
                self.mistakes.append(
                    f"{owner} {kind} on {alias}: expected allowed={allowed}"
                )


def two_database_plan(
    rng: random.Random, aliases: tuple[str, str], depth: int = 0
) -> list[object]:
    steps: list[object] = []
    for _ in range(rng.randint(1, 3)):
        if depth < MAX_DEPTH and rng.random() < 0.45:
            using = rng.choice([None, *aliases])
            inner = two_database_plan(rng, aliases, depth + 1)
            steps.append((rng.random() < 0.5, using, inner))
        else:
            steps.append((rng.random() < 0.6, rng.choice(aliases)))
    return steps


def two_database_scope(allows: bool, using: str | None) -> Scope:
    scope = temp_writes if allows else read_only
    return scope() if using is None else scope(using=using)


def run_two_sync(
    run: TwoDatabaseRun, owner: str, steps: list[Any], stack: Stack
) -> None:
    for step in steps:
        if len(step) == 3:
            allows, using, inner = step
            with two_database_scope(allows, using):
                run_two_sync(run, owner, inner, [*stack, (allows, using)])
        else:
            write, alias = step
            run.statement(owner, write, alias, stack)


async def run_two_async(
    run: TwoDatabaseRun, owner: str, steps: list[Any], stack: Stack
) -> None:
    statement = sync_to_async(run.statement)
    for step in steps:
        await asyncio.sleep(0)
        if len(step) == 3:
            allows, using, inner = step
            async with two_database_scope(allows, using):
                await run_two_async(run, owner, inner, [*stack, (allows, using)])
        else:
            write, alias = step
            await statement(owner, write, alias, stack)


def two_database_thread(run: TwoDatabaseRun, number: int) -> None:
    rng = random.Random(f"two-thread{number}")
    try:
        for _ in range(12):
            run_two_sync(run, f"t{number}", two_database_plan(rng, run.aliases), [])
    finally:
        connections.close_all()


async def two_database_tasks(run: TwoDatabaseRun) -> None:
    rngs = [random.Random(f"two-task{number}") for number in range(TASKS // 2)]
    await asyncio.gather(
        *(
            run_two_async(run, f"a{number}", two_database_plan(rng, run.aliases), [])
            for number, rng in enumerate(rngs)
        )
    )
    await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True, databases="__all__")
@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_each_statement_follows_its_own_context_on_its_own_database(
    server: str,
) -> None:
    aliases = ("default", configured_alias(server))
    flipper = DatabaseFlipper(aliases)
    run = TwoDatabaseRun(aliases, flipper)
    threads = [
        threading.Thread(target=two_database_thread, args=(run, n))
        for n in range(THREADS // 2)
    ]
    all_at_once(flipper, threads, two_database_tasks(run))

    assert run.mistakes == []
    for alias in aliases:
        stored = Counter(Item.objects.using(alias).values_list("owner", flat=True))
        assert stored == +Counter(
            {owner: n for (owner, on), n in run.written.items() if on == alias}
        )
        for kind in ("scoped", "unscoped"):
            for outcome in ("allowed", "blocked"):
                assert run.outcomes[(alias, kind, outcome)] >= 20, run.outcomes
    assert flipper.flips >= 10
