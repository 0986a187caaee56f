"""
``temp_writes()`` and ``read_only()``: scopes for the current thread or
coroutine that work with ``with``, ``async with`` and as decorators, for
every database or (``using=``) for some.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from functools import wraps
from types import CodeType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast, overload

from asgiref.sync import iscoroutinefunction

from readonly_scopes.aliases import Using, named_aliases, using_text
from readonly_scopes.backstop import follow, follow_exit
from readonly_scopes.backstop.coverage import COVERAGE
from readonly_scopes.state import (
    Activation,
    AliasActivation,
    Origin,
    caller_origin,
    current_activation,
)

F = TypeVar("F", bound=Callable[..., Any])


class BlockedWrite(NamedTuple):
    """A write the guard blocked, as a watching scope hears of it."""

    # The statement as messages show it.
    statement: str
    alias: str
    # Whether this scope is the one that blocked it, and so may let it run.
    decided: bool


# Told of each write the guard blocks inside a watching scope; returns whether
# to run it after all (only asked of the scope that decided).
Watcher = Callable[[BlockedWrite], bool]
get_frame = sys._getframe
new = object.__new__


class Scope:
    """
    A scope that allows or blocks writes for the current context.

    The object holds no per-entry state: each entry pushes a fresh activation
    onto the context's chain, so one object can be entered many times, nested,
    and shared by threads and tasks at once. ``temp_writes()`` and
    ``read_only()`` hand out the same two objects to everyone, so they cannot
    be changed.

    A scope with a ``watcher`` (the test helpers' ``no_writes()``, the
    safe-method mode's "warn") also hears of every write the guard blocks
    while it is open, and may let the ones it decided run.
    """

    __slots__ = ("allows_writes", "kind", "watcher")

    allows_writes: bool
    kind: str
    watcher: Watcher | None
    # The databases it applies to; None: every one (see AliasScope).
    aliases: frozenset[str] | None = None

    def __init__(
        self, allows_writes: bool, kind: str, watcher: Watcher | None = None
    ) -> None:
        object.__setattr__(self, "allows_writes", allows_writes)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "watcher", watcher)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(
            f"{self.kind} is one object shared by every caller: it cannot be changed."
        )

    def __repr__(self) -> str:
        return self.kind

    def open(self, where: tuple[CodeType, int] | Origin) -> Activation:
        # Built attribute by attribute: calling a class with an __init__ costs
        # more than the rest of entering a scope.
        activation: Activation = new(Activation)
        activation.allows_writes = activation.writes_pass = self.allows_writes
        activation.kind = self.kind
        activation.open = True
        activation.owner = self
        activation.where = where
        activation.parent = current_activation.get()
        activation.token = current_activation.set(activation)
        # Checked here rather than in follow(), to spare a call on every entry.
        if COVERAGE.on:
            try:
                follow()
            except BaseException:
                self.close(activation)
                raise
        return activation

    @staticmethod
    def close(activation: Activation) -> None:
        # Contexts copied while the block was open still hold this activation;
        # marking it closed makes them fall back to the enclosing state.
        activation.open = activation.writes_pass = False
        current_activation.reset(activation.token)
        if COVERAGE.on:
            follow_exit(activation)

    def __enter__(self) -> None:
        caller = get_frame(1)
        self.open((caller.f_code, caller.f_lasti))

    def out_of_order(self) -> RuntimeError:
        return RuntimeError(
            f"{self.kind} was exited without being the innermost open scope of "
            "this context. Enter and exit scopes in nested order, in the same "
            "thread or task."
        )

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        activation = current_activation.get()
        # The process flag's owner is None: this is also the check that an
        # activation, of any kind, is innermost.
        if activation.owner is not self:
            raise self.out_of_order()
        if TYPE_CHECKING:
            assert isinstance(activation, Activation)
        # close(), written out: one call less on the way out of every block.
        activation.open = activation.writes_pass = False
        current_activation.reset(activation.token)
        if COVERAGE.on:
            follow_exit(activation)

    async def __aenter__(self) -> None:
        caller = get_frame(1)
        self.open((caller.f_code, caller.f_lasti))

    async def __aexit__(self, kind: object, error: object, traceback: object) -> None:
        self.__exit__(kind, error, traceback)

    def __call__(self, func: F) -> F:
        return self.decorate(func, caller_origin(1))

    def decorate(self, func: F, origin: Origin) -> F:
        check_decoratable(func, self.kind)
        name = getattr(func, "__qualname__", type(func).__qualname__)
        where = Origin(origin.filename, origin.lineno, name)

        if iscoroutinefunction(func):

            @wraps(func)
            async def run_coroutine(*args: Any, **kwargs: Any) -> Any:
                activation = self.open(where)
                try:
                    return await func(*args, **kwargs)
                finally:
                    self.close(activation)

            return cast(F, run_coroutine)

        @wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            activation = self.open(where)
            try:
                return func(*args, **kwargs)
            finally:
                self.close(activation)

        return cast(F, run)


class AliasScope(Scope):
    """
    A scope for some databases only: statements on the others run as if it
    were not there. Its activations never let the guard's fast path through,
    since what the others allow is decided further out, and may change.
    """

    __slots__ = ("aliases",)

    aliases: frozenset[str]

    def __init__(
        self,
        allows_writes: bool,
        kind: str,
        aliases: frozenset[str],
        watcher: Watcher | None = None,
    ) -> None:
        super().__init__(allows_writes, kind, watcher)
        object.__setattr__(self, "aliases", aliases)

    def open(self, where: tuple[CodeType, int] | Origin) -> Activation:
        # Scope.open with the databases, written out for the same reason.
        activation: AliasActivation = new(AliasActivation)
        activation.allows_writes = self.allows_writes
        activation.writes_pass = False
        activation.aliases = self.aliases
        activation.kind = self.kind
        activation.open = True
        activation.owner = self
        activation.where = where
        activation.parent = current_activation.get()
        activation.token = current_activation.set(activation)
        if COVERAGE.on:
            try:
                follow()
            except BaseException:
                self.close(activation)
                raise
        return activation


def scope_for(allows_writes: bool, name: str, using: object) -> AliasScope:
    """The scope ``name(using=...)`` for the databases ``using`` names."""
    aliases = named_aliases(using, f"{name}()")
    return AliasScope(allows_writes, f"{name}({using_text(aliases)})", aliases)


def watchers_around(alias: str) -> list[tuple[Activation, Watcher]]:
    """
    The open activations around this context whose scope watches writes on
    ``alias``, innermost first.
    """
    found = []
    link = current_activation.get()
    while isinstance(link, Activation):
        watcher = cast(Scope, link.owner).watcher
        aliases = link.aliases
        if link.open and watcher is not None and (aliases is None or alias in aliases):
            found.append((link, watcher))
        link = link.parent
    return found


TEMP_WRITES = Scope(allows_writes=True, kind="temp_writes()")
READ_ONLY = Scope(allows_writes=False, kind="read_only()")


def check_decoratable(func: object, kind: str) -> None:
    if isinstance(func, type):
        raise TypeError(
            f"{kind} cannot decorate the class {func.__qualname__}: "
            "decorate its methods instead."
        )
    if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
        raise TypeError(
            f"{kind} cannot decorate the generator function "
            f"{getattr(func, '__qualname__', func)}: the scope would end before the "
            f"generator runs. Use `with {kind}:` inside the generator instead."
        )
    if not callable(func):
        hint = (
            f" To name databases, write {kind[:-2]}(using={func!r})."
            if isinstance(func, str)
            else ""
        )
        raise TypeError(
            f"{kind} decorates functions and coroutine functions, not {func!r}. "
            f"Use `@{kind}`, `with {kind}:` or `async with {kind}:`.{hint}"
        )


@overload
def temp_writes(*, using: Using = None) -> Scope: ...


@overload
def temp_writes(func: F, /, *, using: Using = None) -> F: ...


# ``using`` is keyword-only in the signatures above, and positional-or-keyword
# here: a keyword-only parameter costs every ``with temp_writes():`` a slower call.
def temp_writes(func: F | None = None, /, using: Using = None) -> Scope | F:
    """
    Allow writes in the current thread or coroutine, whatever the process flag
    says: on every database, or on those ``using`` names (an alias or a tuple
    of them). Use as ``with``, ``async with``, ``@temp_writes()``,
    ``@temp_writes(using="replica")`` or ``@temp_writes``.
    """
    if func is None:
        if using is None:
            return TEMP_WRITES
        return scope_for(True, "temp_writes", using)
    scope = TEMP_WRITES if using is None else scope_for(True, "temp_writes", using)
    return scope.decorate(func, caller_origin(1))


@overload
def read_only(*, using: Using = None) -> Scope: ...


@overload
def read_only(func: F, /, *, using: Using = None) -> F: ...


# ``using`` is keyword-only in the signatures above, and positional-or-keyword
# here: a keyword-only parameter costs every ``with read_only():`` a slower call.
def read_only(func: F | None = None, /, using: Using = None) -> Scope | F:
    """
    Block writes in the current thread or coroutine, even if the process flag
    allows them: on every database, or on those ``using`` names (an alias or
    a tuple of them). Use as ``with``, ``async with``, ``@read_only()``,
    ``@read_only(using="replica")`` or ``@read_only``.
    """
    if func is None:
        if using is None:
            return READ_ONLY
        return scope_for(False, "read_only", using)
    scope = READ_ONLY if using is None else scope_for(False, "read_only", using)
    return scope.decorate(func, caller_origin(1))
