"""
``temp_writes()`` and ``read_only()``: scopes for the current thread or
coroutine that work with ``with``, ``async with`` and as decorators.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast, overload

from asgiref.sync import iscoroutinefunction

from readonly_scopes.backstop import follow, follow_exit
from readonly_scopes.state import Activation, Origin, caller_origin, current_activation

F = TypeVar("F", bound=Callable[..., Any])


class Scope:
    """
    A scope that allows or blocks writes for the current context.

    The object holds no per-entry state: each entry pushes a fresh activation
    onto the context's chain, so one object can be entered many times, nested,
    and shared by threads and tasks at once.
    """

    __slots__ = ("allows_writes", "kind")

    def __init__(self, allows_writes: bool, kind: str) -> None:
        self.allows_writes = allows_writes
        self.kind = kind

    def __repr__(self) -> str:
        return self.kind

    def _open(self, origin: Origin) -> Activation:
        activation = Activation(
            self.allows_writes, self.kind, origin, current_activation.get(), owner=self
        )
        activation.token = current_activation.set(activation)
        try:
            follow()
        except BaseException:
            self._close(activation)
            raise
        return activation

    @staticmethod
    def _close(activation: Activation) -> None:
        # Contexts copied while the block was open still hold this activation;
        # marking it closed makes them fall back to the enclosing state.
        activation.close()
        current_activation.reset(activation.token)
        follow_exit(activation)

    def _close_innermost(self) -> None:
        activation = current_activation.get()
        if not isinstance(activation, Activation) or activation.owner is not self:
            raise RuntimeError(
                f"{self.kind} was exited without being the innermost open scope of "
                "this context. Enter and exit scopes in nested order, in the same "
                "thread or task."
            )
        self._close(activation)

    def __enter__(self) -> None:
        self._open(caller_origin(1))

    def __exit__(self, *exc_info: object) -> None:
        self._close_innermost()

    async def __aenter__(self) -> None:
        self._open(caller_origin(1))

    async def __aexit__(self, *exc_info: object) -> None:
        self._close_innermost()

    def __call__(self, func: F) -> F:
        return self.decorate(func, caller_origin(1))

    def decorate(self, func: F, origin: Origin) -> F:
        check_decoratable(func, self.kind)
        name = getattr(func, "__qualname__", type(func).__qualname__)
        origin = Origin(origin.filename, origin.lineno, name)

        if iscoroutinefunction(func):

            @wraps(func)
            async def run_coroutine(*args: Any, **kwargs: Any) -> Any:
                activation = self._open(origin)
                try:
                    return await func(*args, **kwargs)
                finally:
                    self._close(activation)

            return cast(F, run_coroutine)

        @wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            activation = self._open(origin)
            try:
                return func(*args, **kwargs)
            finally:
                self._close(activation)

        return cast(F, run)


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
        raise TypeError(
            f"{kind} decorates functions and coroutine functions, not {func!r}. "
            f"Use `@{kind}`, `with {kind}:` or `async with {kind}:`."
        )


@overload
def temp_writes() -> Scope: ...


@overload
def temp_writes(func: F, /) -> F: ...


def temp_writes(func: F | None = None, /) -> Scope | F:
    """
    Allow writes in the current thread or coroutine, whatever the process flag
    says. Use as ``with``, ``async with``, ``@temp_writes()`` or ``@temp_writes``.
    """
    scope = Scope(allows_writes=True, kind="temp_writes()")
    return scope if func is None else scope.decorate(func, caller_origin(1))


@overload
def read_only() -> Scope: ...


@overload
def read_only(func: F, /) -> F: ...


def read_only(func: F | None = None, /) -> Scope | F:
    """
    Block writes in the current thread or coroutine, even if the process flag
    allows them. Use as ``with``, ``async with``, ``@read_only()`` or
    ``@read_only``.
    """
    scope = Scope(allows_writes=False, kind="read_only()")
    return scope if func is None else scope.decorate(func, caller_origin(1))
