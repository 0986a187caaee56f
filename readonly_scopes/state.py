"""
Where the read-only state lives, and how the effective state is decided.

There are two layers:

* The process flag (``FLAG``): one value for every thread and coroutine, set
  from ``DJANGO_READ_ONLY`` and by ``enable_writes()`` / ``disable_writes()``.
* Scopes: a chain of activations held in a ``ContextVar``. The innermost
  activation that is still open decides; with none open, the process flag does.

Because the chain lives in a ``ContextVar``, an open scope is visible in:

* code the block calls or awaits;
* ``asyncio`` tasks created inside the block (they copy the context);
* ``asgiref.sync.sync_to_async`` (``thread_sensitive`` True or False), and so
  Django's async ORM methods, and ``async_to_sync``;
* ``asyncio.to_thread`` and ``contextvars.copy_context().run``.

It is not visible in a plain ``threading.Thread``, in
``ThreadPoolExecutor.submit`` or in ``loop.run_in_executor``: these start from
an empty context, so the process flag decides there.

A copied context keeps a reference to the activations that were open when it
was copied. Each activation is marked closed when its block exits, and closed
activations are skipped, so a task that outlives the block falls back to the
enclosing state instead of keeping the scope forever.
"""

from __future__ import annotations

import os
import sys
from contextvars import ContextVar, Token
from dataclasses import dataclass
from types import FrameType

from django.conf import settings

SETTING_SOURCE = "the DJANGO_READ_ONLY setting"
ENVIRONMENT_SOURCE = "the DJANGO_READ_ONLY environment variable"
UNSET = object()


class ProcessFlag:
    """The process-wide flag, and a description of what last set it."""

    __slots__ = ("read_only", "source")

    def __init__(self) -> None:
        self.read_only = False
        self.source = "the default"

    def set(self, read_only: bool, source: str) -> None:
        self.read_only = read_only
        self.source = source

    def load_from_configuration(self) -> None:
        # The setting wins whenever it exists, even when it is falsy, so that a
        # project can force writes on regardless of the environment.
        value = getattr(settings, "DJANGO_READ_ONLY", UNSET)
        if value is not UNSET:
            self.set(bool(value), SETTING_SOURCE)
        else:
            self.set(bool(os.environ.get("DJANGO_READ_ONLY", "")), ENVIRONMENT_SOURCE)


FLAG = ProcessFlag()


@dataclass(frozen=True)
class Origin:
    """Where a scope was entered, kept raw so that entering stays cheap."""

    filename: str
    lineno: int
    function: str

    @classmethod
    def of_frame(cls, frame: FrameType) -> Origin:
        return cls(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno} in {self.function}()"


class Activation:
    """One entry into a scope: one ``with`` block or one decorated call."""

    __slots__ = ("allows_writes", "kind", "open", "origin", "owner", "parent", "token")

    token: Token[Activation | None]

    def __init__(
        self,
        allows_writes: bool,
        kind: str,
        origin: Origin,
        parent: Activation | None,
        owner: object,
    ) -> None:
        self.allows_writes = allows_writes
        self.kind = kind
        self.origin = origin
        self.parent = parent
        self.owner = owner
        self.open = True


current_activation: ContextVar[Activation | None] = ContextVar(
    "readonly_scopes_activation", default=None
)


def caller_origin(depth: int) -> Origin:
    return Origin.of_frame(sys._getframe(depth + 1))


@dataclass(frozen=True)
class Decision:
    """The effective state for one context, and what produced it."""

    allows_writes: bool
    # The open activation that decided, or None when the process flag did.
    decided_by: Activation | None
    # The innermost closed activation that would have allowed writes, when the
    # context fell back past it to a state that blocks them.
    ended_scope: Activation | None


def decide() -> Decision:
    ended_scope = None
    activation = current_activation.get()
    while activation is not None:
        if activation.open:
            return Decision(activation.allows_writes, activation, ended_scope)
        if ended_scope is None and activation.allows_writes:
            ended_scope = activation
        activation = activation.parent
    return Decision(not FLAG.read_only, None, ended_scope)


def writes_allowed() -> bool:
    """Return whether writes are allowed in the current thread or coroutine."""
    return decide().allows_writes
