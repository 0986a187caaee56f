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
from typing import NamedTuple

from django.conf import settings

SETTING_SOURCE = "the DJANGO_READ_ONLY setting"
ENVIRONMENT_SOURCE = "the DJANGO_READ_ONLY environment variable"
UNSET = object()


class ProcessFlag:
    """
    The process-wide flag, and a description of what last set it.

    It is also the outermost link of every context's scope chain, and the
    value of a context with no scope. Like an activation, it has
    ``writes_pass``, so that the guard needs one context lookup and one
    attribute to let a statement through.
    """

    __slots__ = ("source", "writes_pass")

    def __init__(self) -> None:
        self.writes_pass = True
        self.source = "the default"

    def set(self, read_only: bool, source: str) -> None:
        self.writes_pass = not read_only
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


class ExtraWork:
    """
    Whether statements that may write need more than running: the backstop
    brings the database in step, or the audit log notes writes. One attribute
    the guard reads for every such statement, kept from the two.
    """

    __slots__ = ("audit", "backstop", "on")

    def __init__(self) -> None:
        self.backstop = self.audit = self.on = False

    def set(self, *, backstop: bool | None = None, audit: bool | None = None) -> None:
        if backstop is not None:
            self.backstop = backstop
        if audit is not None:
            self.audit = audit
        self.on = self.backstop or self.audit


EXTRA_WORK = ExtraWork()


class Origin(NamedTuple):
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

    __slots__ = (
        "allows_writes",
        "kind",
        "open",
        "origin",
        "owner",
        "parent",
        "token",
        "writes_pass",
    )

    token: Token[Activation | ProcessFlag]

    def __init__(
        self,
        allows_writes: bool,
        kind: str,
        origin: Origin,
        parent: Activation | ProcessFlag,
        owner: object,
    ) -> None:
        self.allows_writes = allows_writes
        self.kind = kind
        self.origin = origin
        self.parent = parent
        self.owner = owner
        self.open = True
        # Whether the guard may let writes through without looking further:
        # only while open. Kept apart from allows_writes for the guard's speed.
        self.writes_pass = allows_writes

    def close(self) -> None:
        self.open = False
        self.writes_pass = False


current_activation: ContextVar[Activation | ProcessFlag] = ContextVar(
    "readonly_scopes_activation", default=FLAG
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
    link = current_activation.get()
    while isinstance(link, Activation):
        if link.open:
            return Decision(link.allows_writes, link, ended_scope)
        if ended_scope is None and link.allows_writes:
            ended_scope = link
        link = link.parent
    return Decision(link.writes_pass, None, ended_scope)


def writes_allowed() -> bool:
    """Return whether writes are allowed in the current thread or coroutine."""
    # What decide() says, without building a Decision: the backstop asks for
    # every statement it covers and every change of scope.
    link = current_activation.get()
    while isinstance(link, Activation):
        if link.open:
            return link.allows_writes
        link = link.parent
    return link.writes_pass
