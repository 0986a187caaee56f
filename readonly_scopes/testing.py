"""
Test helpers: ``no_writes()``, a read-only scope that fails the test for every
write the guard blocks inside it, and ``NoWritesMixin.assertNoWrites()`` for
unittest and Django test cases. The pytest plugin's ``read_only`` marker and
``no_writes`` fixture are built on the same scope.

Inside the block a write is blocked exactly as ``read_only()`` blocks it (the
code under test gets ``ReadOnlyError``, allowed tables and ``temp_writes()``
still write), so the test sees what production would. What turns the error
into a test failure is the exit: code under test may catch the error, or turn
it into another, and the test must fail all the same.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from types import CodeType, TracebackType
from typing import Any, NamedTuple, TypeVar, cast, overload

from asgiref.sync import iscoroutinefunction
from django.apps import apps
from django.conf import settings

from readonly_scopes.aliases import Using, named_aliases, using_text
from readonly_scopes.audit import project_frame
from readonly_scopes.scopes import AliasScope, BlockedWrite, Scope, check_decoratable
from readonly_scopes.state import Activation, Origin, caller_origin

F = TypeVar("F", bound=Callable[..., Any])

KIND = "no_writes()"


class AttemptedWrite(NamedTuple):
    """A write blocked inside ``no_writes()``, as its failure lists it."""

    # The statement as messages show it (placeholders, not parameters).
    statement: str
    alias: str
    # The innermost frame of project code when it was blocked.
    where: str


class Watch:
    """One entry into ``no_writes()``: its own scope and what that scope heard."""

    __slots__ = ("activation", "attempts", "scope")

    activation: Activation

    def __init__(self, aliases: frozenset[str] | None) -> None:
        self.attempts: list[AttemptedWrite] = []
        # A scope per entry, since a scope's watcher is all it is told.
        self.scope = (
            Scope(False, KIND, self.hear)
            if aliases is None
            else AliasScope(False, kind_for(aliases), aliases, self.hear)
        )

    def hear(self, blocked: BlockedWrite) -> bool:
        self.attempts.append(
            AttemptedWrite(blocked.statement, blocked.alias, project_frame())
        )
        # Never run it: the code under test gets what production would.
        return False

    def failure(
        self, failure_class: type[BaseException], origin: Origin
    ) -> BaseException:
        count = len(self.attempts)
        lines = [
            (
                f"{count} write{'' if count == 1 else 's'} attempted inside "
                f"{self.scope.kind} entered at {origin}:"
            ),
            *(
                f"- on database {attempt.alias!r}: {attempt.statement} "
                f"(from {attempt.where})"
                for attempt in self.attempts
            ),
        ]
        failure = failure_class("\n".join(lines))
        # For tests that inspect them, and for an enclosing no_writes(), which
        # lets a failure that already lists them pass.
        failure.__dict__["attempted_writes"] = tuple(self.attempts)
        return failure


class NoWrites:
    """
    The object ``no_writes()`` returns: a ``with`` / ``async with`` block, or a
    decorator. Each decorated call gets its own watch; one object is entered
    by one block at a time.
    """

    __slots__ = ("aliases", "failure_class", "origin", "watch")

    def __init__(
        self,
        failure_class: type[BaseException] = AssertionError,
        origin: Origin | None = None,
        aliases: frozenset[str] | None = None,
    ) -> None:
        self.failure_class = failure_class
        self.origin = origin
        # The databases it watches; None: every one.
        self.aliases = aliases
        self.watch: Watch | None = None

    def __repr__(self) -> str:
        return KIND if self.aliases is None else kind_for(self.aliases)

    def start(self, where: tuple[CodeType, int] | Origin) -> None:
        check_set_up()
        if self.watch is not None:
            raise RuntimeError(
                f"This {KIND} block is already open: call no_writes() again for "
                "another block."
            )
        watch = Watch(self.aliases)
        watch.activation = watch.scope.open(self.origin or where)
        self.watch = watch

    def finish(self, error: BaseException | None) -> None:
        watch = cast(Watch, self.watch)
        self.watch = None
        watch.scope.__exit__(None, None, None)
        # What is on its way out may stand: Ctrl-C, pytest's skip and fail,
        # cancellation; and a failure that lists every write already, from a
        # no_writes() inside this one.
        if not isinstance(error, (Exception, type(None))):
            return
        if set(watch.attempts) <= set(getattr(error, "attempted_writes", ())):
            return
        raise watch.failure(self.failure_class, watch.activation.origin) from error

    def __enter__(self) -> None:
        caller = sys._getframe(1)
        self.start((caller.f_code, caller.f_lasti))

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.finish(error)

    async def __aenter__(self) -> None:
        caller = sys._getframe(1)
        self.start((caller.f_code, caller.f_lasti))

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.finish(error)

    def __call__(self, func: F) -> F:
        return self.decorate(func, caller_origin(1))

    def decorate(self, func: F, origin: Origin) -> F:
        check_decoratable(func, KIND)
        name = getattr(func, "__qualname__", type(func).__qualname__)
        where = Origin(origin.filename, origin.lineno, name)
        failure_class, aliases = self.failure_class, self.aliases

        if iscoroutinefunction(func):

            @wraps(func)
            async def run_coroutine(*args: Any, **kwargs: Any) -> Any:
                async with NoWrites(failure_class, where, aliases):
                    return await func(*args, **kwargs)

            return cast(F, run_coroutine)

        @wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with NoWrites(failure_class, where, aliases):
                return func(*args, **kwargs)

        return cast(F, run)


def check_set_up() -> None:
    """Refuse to pass a block that nothing watched: the guard comes with the app."""
    if not (
        settings.configured and apps.ready and apps.is_installed("readonly_scopes")
    ):
        raise RuntimeError(
            f"{KIND} needs Django set up with 'readonly_scopes' in INSTALLED_APPS: "
            "the app installs the guard that sees writes, so without it every "
            "block would pass. Set DJANGO_SETTINGS_MODULE (with pytest-django: "
            "--ds or the DJANGO_SETTINGS_MODULE ini option) to settings that "
            "install the app."
        )


def kind_for(aliases: frozenset[str]) -> str:
    return f"no_writes({using_text(aliases)})"


def watched_aliases(using: Using) -> frozenset[str] | None:
    return None if using is None else named_aliases(using, KIND)


@overload
def no_writes(*, using: Using = None) -> NoWrites: ...


@overload
def no_writes(func: F, /, *, using: Using = None) -> F: ...


def no_writes(func: F | None = None, /, *, using: Using = None) -> NoWrites | F:
    """
    Fail the test if the block, or the decorated function, attempts a write.
    Writes are blocked inside as by ``read_only()``; at the end of the block
    each one attempted, caught by the code under test or not, is listed in an
    ``AssertionError``. It watches every database, or those ``using`` names
    (an alias or a tuple of them), as ``read_only(using=...)`` would. Use as
    ``with``, ``async with``, ``@no_writes()``, ``@no_writes(using="replica")``
    or ``@no_writes``.
    """
    watched = NoWrites(aliases=watched_aliases(using))
    if func is None:
        return watched
    return watched.decorate(func, caller_origin(1))


class NoWritesMixin:
    """
    For ``unittest.TestCase`` and Django's test cases: ``assertNoWrites()``,
    which fails with the test case's ``failureException``.
    """

    failureException: type[BaseException]

    def assertNoWrites(self, *, using: Using = None) -> NoWrites:
        return NoWrites(self.failureException, aliases=watched_aliases(using))
