"""The execute wrapper that blocks statements which are not reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from readonly_scopes.classify import is_read
from readonly_scopes.errors import blocked_error
from readonly_scopes.state import FLAG, current_activation, decide

Execute = Callable[[Any, Any, bool, dict[str, Any]], Any]


def guard(
    execute: Execute, sql: Any, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    # The common cases, writes allowed by the innermost open scope or by the
    # process flag with no scope, cost one context lookup before the call.
    activation = current_activation.get()
    if activation is None:
        if not FLAG.read_only:
            return execute(sql, params, many, context)
    elif activation.open and activation.allows_writes:
        return execute(sql, params, many, context)
    return check(execute, sql, params, many, context)


def check(
    execute: Execute, sql: Any, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    decision = decide()
    if decision.allows_writes:
        return execute(sql, params, many, context)
    connection: BaseDatabaseWrapper = context["connection"]
    text = statement_text(sql, connection)
    if text is not None and is_read(text, connection.vendor):
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
    if guard not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, guard)


def install_on_created(
    sender: object, connection: BaseDatabaseWrapper, **kwargs: object
) -> None:
    install(connection)
