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
    reason, remedy = explain(decision)
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
        reason, remedy = explain(decision)
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


def explain(decision: Decision) -> tuple[str, str]:
    if decision.decided_by is not None:
        reason = (
            f"It ran inside {decision.decided_by.kind} entered at "
            f"{decision.decided_by.origin}, which blocks writes whatever the "
            "process-wide flag says."
        )
        remedy = "run it inside `with temp_writes():` within that block, or outside it"
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


def flag_remedies() -> list[str]:
    remedies = [
        "call readonly_scopes.enable_writes() for the whole process",
        "wrap the code in `with readonly_scopes.temp_writes():` for one block",
    ]
    if MAGIC.loaded:
        remedies.append("run `%read_only off`")
    if FLAG.source == ENVIRONMENT_SOURCE:
        remedies.append("run the command as `DJANGO_READ_ONLY= <command>`")
    elif FLAG.source == SETTING_SOURCE:
        remedies.append("set DJANGO_READ_ONLY = False in your settings")
    elif FLAG.source == SHELL_READ_ONLY_SOURCE:
        remedies.append("start the shell with --writes")
    return remedies


def allowed_by(decision: Decision) -> str:
    """What let writes through, for the log."""
    if decision.decided_by is not None:
        return f"{decision.decided_by.kind} entered at {decision.decided_by.origin}"
    return FLAG.source
