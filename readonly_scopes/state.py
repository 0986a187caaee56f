"""
Where the read-only state lives, and how the effective state is decided.

There are two layers:

* The process flag (``FLAG``): one value for every thread and coroutine, set
  from ``DJANGO_READ_ONLY`` and by ``enable_writes()`` / ``disable_writes()``.
* Scopes: a chain of activations held in a ``ContextVar``. The innermost
  activation that is still open decides; with none open, the process flag does.

Both may be for some databases only (``using=``). A statement is decided for
its database: the innermost open activation for that database, or for every
one, decides; then the flag for that database. Activations and a flag for
some databases never let the guard's fast path (``writes_pass``) through.

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

import sys
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass
from types import CodeType
from typing import NamedTuple

from django.conf import settings

SETTING_SOURCE = "the DJANGO_READ_ONLY setting"
ENVIRONMENT_SOURCE = "the DJANGO_READ_ONLY environment variable"
UNSET_SOURCE = "the default (DJANGO_READ_ONLY is unset or empty)"


class ProcessFlag:
    """
    The process-wide flag, a description of what last set it, and whether
    the configuration (``DJANGO_READ_ONLY``) asks for read-only mode.

    It is also the outermost link of every context's scope chain, and the
    value of a context with no scope. Like an activation, it has
    ``writes_pass``, so that the guard needs one context lookup and one
    attribute to let a statement through. ``readonly_scopes.flag.set_flag()``
    is what changes it.

    ``read_only`` holds for every database but those in ``per_alias``, each
    set on its own since (``DJANGO_READ_ONLY = ["replica"]``,
    ``disable_writes(using=...)``), with what set it. A flag for some
    databases costs the guard's fast path only while it blocks one.
    """

    __slots__ = (
        "configured",
        "configured_on",
        "per_alias",
        "read_only",
        "source",
        "writes_pass",
    )

    per_alias: dict[str, tuple[bool, str]]

    # As an activation's: the scope that entered it, here none.
    owner: None = None

    def __init__(self) -> None:
        self.writes_pass = True
        self.read_only = False
        self.per_alias = {}
        self.source = "the default"
        self.configured = False
        # The databases the configuration makes read-only when it names some.
        self.configured_on: frozenset[str] | None = None

    def set(
        self,
        read_only: bool,
        source: str,
        *,
        configured: bool = False,
        using: frozenset[str] | None = None,
    ) -> None:
        """
        Block or allow writes on the databases ``using`` names, or on every
        one. The configuration sets the whole flag: the databases it does not
        name are writable.
        """
        if using is None or configured:
            self.read_only = read_only and using is None
            self.source = source
            # A new dict, never a changed one: other threads read it meanwhile.
            per_alias = dict.fromkeys(using or (), (read_only, source))
        else:
            per_alias = {**self.per_alias, **dict.fromkeys(using, (read_only, source))}
        self.per_alias = per_alias
        self.writes_pass = not self.read_only and not any(
            blocked for blocked, _ in per_alias.values()
        )
        if configured:
            self.configured = not self.writes_pass
            self.configured_on = using if self.configured else None
            recompute()

    def blocks(self, alias: str | None) -> bool:
        """Whether the flag blocks writes on ``alias`` (None: one it does not name)."""
        own = self.per_alias.get(alias) if alias is not None else None
        return self.read_only if own is None else own[0]

    def source_on(self, alias: str | None) -> str:
        """What made the flag block or allow writes on ``alias``."""
        own = self.per_alias.get(alias) if alias is not None else None
        return self.source if own is None else own[1]

    def unlike_the_rest(self) -> frozenset[str]:
        """The databases the flag treats otherwise than every other one."""
        return frozenset(
            alias
            for alias, (blocked, _) in self.per_alias.items()
            if blocked is not self.read_only
        )

    def read_only_aliases(self) -> str:
        """The databases the flag makes read-only, as messages say it."""
        names = ", ".join(map(repr, sorted(self.unlike_the_rest())))
        if not self.read_only:
            return f"only {names}" if names else "none"
        return f"every database but {names}" if names else "every database"


FLAG = ProcessFlag()


class Derived:
    """
    A bit that is on when any of its sources is, kept precomputed because
    the guard reads it for every statement that may write. Each source
    belongs to another module, which adds it once and calls ``recompute()``
    after every change of it; nothing else sets ``on``.
    """

    __slots__ = ("on", "sources")

    def __init__(self, *sources: Callable[[], bool]) -> None:
        self.sources = list(sources)
        self.on = False

    def add_source(self, source: Callable[[], bool]) -> None:
        self.sources.append(source)
        recompute()


# Writes that run are logged while read-only mode is configured for every
# database: by DJANGO_READ_ONLY here, by the site switch where it is kept.
AUDIT = Derived(lambda: FLAG.configured and FLAG.configured_on is None)
# A statement that runs with writes allowed needs more than running: the audit
# log (for every database, or those DJANGO_READ_ONLY names), or the backstop
# bringing the database in step (added by the backstop).
EXTRA_WORK = Derived(lambda: AUDIT.on, lambda: FLAG.configured_on is not None)


def recompute() -> None:
    """Derive the precomputed bits again, after one of their sources changed."""
    for bit in (AUDIT, EXTRA_WORK):  # EXTRA_WORK reads AUDIT.
        bit.on = any(source() for source in bit.sources)


class Origin(NamedTuple):
    """Where a scope was entered, as its messages show it."""

    filename: str
    lineno: int
    function: str

    @classmethod
    def of(cls, code: CodeType, offset: int) -> Origin:
        """The place of the instruction at ``offset`` (a frame's f_lasti)."""
        line = next(
            (line for start, end, line in code.co_lines() if start <= offset < end),
            None,
        )
        return cls(code.co_filename, line or code.co_firstlineno, code.co_name)

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno} in {self.function}()"


class Activation:
    """
    One entry into a scope: one ``with`` block or one decorated call.

    Entering must stay cheap, so where it was entered is kept raw: the
    caller's code object and instruction offset, turned into a file, line and
    function only when a message needs them. A decorated function's origin is
    made once, when it is decorated.
    """

    __slots__ = (
        "allows_writes",
        "kind",
        "open",
        "owner",
        "parent",
        "token",
        "where",
        "writes_pass",
    )

    allows_writes: bool
    kind: str
    open: bool
    owner: object
    parent: Activation | ProcessFlag
    token: Token[Activation | ProcessFlag]
    where: tuple[CodeType, int] | Origin
    # Whether the guard may let writes through without looking further: only
    # while open. Kept apart from allows_writes for the guard's speed.
    writes_pass: bool
    # The databases it decides for; None: every one. A class attribute here,
    # so that entering a scope for every database sets nothing more.
    aliases: frozenset[str] | None = None

    @property
    def origin(self) -> Origin:
        where = self.where
        return where if isinstance(where, Origin) else Origin.of(*where)


class AliasActivation(Activation):
    """An entry into a scope for some databases only: never ``writes_pass``."""

    __slots__ = ("aliases",)

    aliases: frozenset[str]


current_activation: ContextVar[Activation | ProcessFlag] = ContextVar(
    "readonly_scopes_activation", default=FLAG
)


def caller_origin(depth: int) -> Origin:
    frame = sys._getframe(depth + 1)
    return Origin.of(frame.f_code, frame.f_lasti)


@dataclass(frozen=True)
class Decision:
    """The effective state for one context, and what produced it."""

    allows_writes: bool
    # The open activation that decided, or None when the process flag did.
    decided_by: Activation | None
    # The innermost closed activation that would have allowed writes, when the
    # context fell back past it to a state that blocks them.
    ended_scope: Activation | None


def decide(using: str | None = None) -> Decision:
    """
    The state for a statement on the database ``using`` in this context;
    None stands for a database that no per-database scope or flag names.
    """
    ended_scope = None
    link = current_activation.get()
    while isinstance(link, Activation):
        aliases = link.aliases
        if aliases is None or using in aliases:
            if link.open:
                return Decision(link.allows_writes, link, ended_scope)
            if ended_scope is None and link.allows_writes:
                ended_scope = link
        link = link.parent
    return Decision(not FLAG.blocks(using), None, ended_scope)


def allowed_on(alias: str) -> bool:
    """
    What decide(alias) says, without building a Decision: the backstop asks
    for every statement it covers and every change of scope.
    """
    link = current_activation.get()
    while isinstance(link, Activation):
        if link.open:
            aliases = link.aliases
            if aliases is None or alias in aliases:
                return link.allows_writes
        link = link.parent
    return link.writes_pass or not FLAG.blocks(alias)


def writes_allowed(using: str | None = None) -> bool:
    """
    Return whether writes are allowed in the current thread or coroutine: on
    the database ``using``, or without it on every database.
    """
    if using is not None:
        return allowed_on(using)
    link = current_activation.get()
    while isinstance(link, Activation):
        if link.open:
            if link.aliases is None:
                return link.allows_writes
            break
        link = link.parent
    else:
        if not FLAG.per_alias:
            return link.writes_pass
    # Some database is decided on its own: ask for each.
    return all(allowed_on(alias) for alias in settings.DATABASES)
