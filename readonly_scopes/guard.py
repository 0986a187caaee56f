"""The execute wrapper that blocks statements which are not reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from readonly_scopes.classify import is_read, verdicts_for
from readonly_scopes.errors import blocked_error
from readonly_scopes.state import current_activation, decide

Execute = Callable[[Any, Any, bool, dict[str, Any]], Any]
Guard = Callable[[Execute, Any, Any, bool, dict[str, Any]], Any]

guards: dict[str, Guard] = {}


def guard_for(vendor: str) -> Guard:
    """The guard for connections of one vendor, made once so it is installed once."""
    if vendor not in guards:
        guards[vendor] = make_guard(vendor)
    return guards[vendor]


def make_guard(vendor: str) -> Guard:
    verdicts = verdicts_for(vendor)
    innermost = current_activation.get

    def guard(
        execute: Execute, sql: Any, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        # Runs for every statement. With writes allowed it costs one context
        # lookup and one attribute; otherwise a cached verdict on the text.
        if innermost().writes_pass:
            return execute(sql, params, many, context)
        if type(sql) is str and (verdicts.get(sql) or is_read(sql, vendor)):
            return execute(sql, params, many, context)
        return check_other(execute, sql, params, many, context)

    return guard


def check_other(
    execute: Execute, sql: Any, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """
    Let through what the quick checks could not: writes where a scope has
    ended and the state around it allows them, and reads that are not plain
    strings. Raise for anything else.
    """
    decision = decide()
    if decision.allows_writes:
        return execute(sql, params, many, context)
    connection: BaseDatabaseWrapper = context["connection"]
    text = statement_text(sql, connection)
    if type(sql) is not str and text is not None and is_read(text, connection.vendor):
        return execute(sql, params, many, context)
    raise blocked_error(text, sql, connection.alias, decision)


def statement_text(sql: Any, connection: BaseDatabaseWrapper) -> str | None:
    """Return the SQL text of a statement, or None when it cannot be read."""
    if isinstance(sql, str):
        return sql
    if isinstance(sql, bytes):
        try:
            return sql.decode()
        except UnicodeDecodeError:
            return None
    # psycopg's sql.Composable (and psycopg2's) render against a connection.
    as_string = getattr(sql, "as_string", None)
    if not callable(as_string):
        return None
    try:
        text = as_string(connection.connection)
    except Exception:
        return None
    return text if isinstance(text, str) else None


def install(connection: BaseDatabaseWrapper) -> None:
    # Outermost, and once: Django keeps execute_wrappers across reconnects and
    # pooled checkouts, and its own execute_wrapper() pops the last item.
    guard = guard_for(connection.vendor)
    if guard not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, guard)


def install_on_created(
    sender: object, connection: BaseDatabaseWrapper, **kwargs: object
) -> None:
    install(connection)
