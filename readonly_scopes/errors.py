"""The error raised for a blocked statement, and the words that explain it."""

from __future__ import annotations

from django.db import DatabaseError

from readonly_scopes.console import MAGIC
from readonly_scopes.sql.text import shorten
from readonly_scopes.state import ENVIRONMENT_SOURCE, FLAG, SETTING_SOURCE, Decision

SHELL_READ_ONLY_SOURCE = "manage.py shell --read-only"


class ReadOnlyError(DatabaseError):
    """
    A statement was blocked because writes are not allowed in the context that
    ran it. A ``DatabaseError``, so code that already copes with a database
    refusing a statement copes with this too.
    """


# The name django-read-only uses, so code written for it keeps working.
DjangoReadOnlyError = ReadOnlyError


def shown_statement(text: str | None, sql: object) -> str:
    if text is None:
        return (
            f"<{type(sql).__qualname__} object> (it could not be turned into SQL "
            "text, so it cannot be shown to be a read)"
        )
    return shorten(text)


def blocked_error(
    text: str | None, sql: object, alias: str, decision: Decision, why: str = ""
) -> ReadOnlyError:
    reason, remedy = explain(decision, alias)
    why = f"It is not shown to be a read: {why}.\n" if why else ""
    return ReadOnlyError(
        f"Write blocked on database {alias!r}: {shown_statement(text, sql)}\n"
        f"{why}{reason}\n"
        f"To allow it, {remedy}."
    )


def refused_error(
    text: str | None,
    sql: object,
    alias: str,
    decision: Decision,
    stuck: tuple[str, str] | tuple[()],
) -> ReadOnlyError:
    """The error for a write the database itself refused in its read-only mode."""
    shown = shown_statement(text, sql)
    if not decision.allows_writes:
        reason, remedy = explain(decision, alias)
        return ReadOnlyError(
            f"Write refused by database {alias!r} itself, in the read-only mode "
            f"the backstop put it in (DJANGO_READ_ONLY_ENFORCE): {shown}\n"
            f"{reason}\n"
            f"To allow it, {remedy}."
        )
    if stuck:
        reason, remedy = stuck
    else:
        reason = (
            "the connection was read-only for a reason outside readonly_scopes "
            "(the database's or role's own settings, or a pooled connection's "
            "last user)"
        )
        remedy = "check the database's read-only settings for this connection"
    return ReadOnlyError(
        f"Write refused by database {alias!r}, which is still in read-only mode: "
        f"{shown}\nWrites are allowed here, but {reason}.\nTo allow it, {remedy}."
    )


def explain(decision: Decision, alias: str) -> tuple[str, str]:
    """Why a write on ``alias`` is blocked, and how to allow it."""
    scope = decision.decided_by
    if scope is not None:
        reason = (
            f"It ran inside {scope.kind} entered at {scope.origin}, which blocks "
            "writes whatever the process-wide flag says."
        )
        allowing = "temp_writes()" if scope.aliases is None else temp_writes_on(alias)
        remedy = f"run it inside `with {allowing}:` within that block, or outside it"
    elif FLAG.per_alias:
        reason = (
            f"Writes are disabled on database {alias!r} by {FLAG.source_on(alias)}, "
            f"which makes {FLAG.read_only_aliases()} read-only for the whole process."
        )
        remedy = ", or ".join(flag_remedies(alias))
    else:
        reason = f"Writes are disabled for the whole process by {FLAG.source}."
        remedy = ", or ".join(flag_remedies())
    if decision.ended_scope is not None:
        reason = (
            f"The {decision.ended_scope.kind} scope entered at "
            f"{decision.ended_scope.origin} has ended. This code runs in a context "
            "copied while it was open (for example a task or thread started inside "
            "it), so it fell back to the enclosing state. " + reason
        )
        remedy = (
            "enter temp_writes() in the code that runs later (inside the task or "
            "thread itself), or finish that work before the block exits (for "
            "example, await the task inside it)"
        )
    return reason, remedy


def temp_writes_on(alias: str) -> str:
    return f"temp_writes(using={alias!r})"


def flag_remedies(alias: str | None = None) -> list[str]:
    """How to allow writes the flag blocks: on every database, or on ``alias``."""
    if alias is None:
        using, allowing = "", "temp_writes()"
    else:
        using, allowing = f"using={alias!r}", temp_writes_on(alias)
    remedies = [
        f"call readonly_scopes.enable_writes({using}) for the whole process",
        f"wrap the code in `with readonly_scopes.{allowing}:` for one block",
    ]
    source = FLAG.source_on(alias)
    if MAGIC.loaded:
        remedies.append("run `%read_only off`")
    if source == ENVIRONMENT_SOURCE:
        remedies.append("run the command as `DJANGO_READ_ONLY= <command>`")
    elif source == SETTING_SOURCE:
        remedies.append(
            "set DJANGO_READ_ONLY = False in your settings"
            if alias is None or FLAG.read_only
            else f"take {alias!r} out of DJANGO_READ_ONLY in your settings"
        )
    elif source == SHELL_READ_ONLY_SOURCE:
        remedies.append("start the shell with --writes")
    return remedies


def allowed_by(decision: Decision, alias: str) -> str:
    """What let writes through on ``alias``, for the log."""
    if decision.decided_by is not None:
        return f"{decision.decided_by.kind} entered at {decision.decided_by.origin}"
    return FLAG.source_on(alias)
