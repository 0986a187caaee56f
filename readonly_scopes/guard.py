"""The execute wrapper that blocks statements which are not reads."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from readonly_scopes import audit
from readonly_scopes.allowlist import ALLOWED
from readonly_scopes.backstop import connect_in_mode, follow_new_connection, mode_of
from readonly_scopes.backstop.coverage import COVERAGE
from readonly_scopes.backstop.modes import Execute, Refused
from readonly_scopes.conf import CONF
from readonly_scopes.errors import (
    allowed_by,
    blocked_error,
    refused_error,
    shown_statement,
)
from readonly_scopes.scopes import BlockedWrite, watchers_around
from readonly_scopes.sql.sessions import session_for
from readonly_scopes.sql.text import statement_text
from readonly_scopes.sql.verdicts import is_read, verdicts_for, why_blocked
from readonly_scopes.state import (
    AUDIT,
    EXTRA_WORK,
    FLAG,
    Decision,
    allowed_on,
    current_activation,
    decide,
)

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
    coverage = COVERAGE
    extra_work = EXTRA_WORK

    def guard(
        execute: Execute, sql: Any, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        # Runs for every statement. With writes allowed it costs one context
        # lookup and two attributes; otherwise a cached verdict on the text.
        if innermost().writes_pass:
            if extra_work.on:
                return run_allowed(execute, sql, params, many, context)
            return execute(sql, params, many, context)
        if type(sql) is str and (
            verdicts.get(sql)
            or is_read(
                sql, vendor, params is not None, session_for(context["connection"])
            )
        ):
            if coverage.on:
                return in_step(execute, sql, params, many, context, None)
            return execute(sql, params, many, context)
        return check_other(execute, sql, params, many, context)

    return guard


def run_allowed(
    execute: Execute, sql: Any, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """Run a statement in a context that allows writes, noting writes if asked."""
    connection: BaseDatabaseWrapper = context["connection"]
    # Noted where the configuration makes the database read-only.
    configured_on = FLAG.configured_on
    if (
        AUDIT.on or (configured_on is not None and connection.alias in configured_on)
    ) and audit.logger.isEnabledFor(logging.INFO):
        text = statement_text(sql, connection)
        if text is None or not is_read(text, connection.vendor, params is not None):
            audit.allowed_write(
                shown_statement(text, sql),
                connection.alias,
                allowed_by(decide(connection.alias), connection.alias),
            )
    return in_step(execute, sql, params, many, context, False)


def check_other(
    execute: Execute, sql: Any, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """
    Let through what the quick checks could not: writes where a scope has
    ended and the state around it allows them, reads that are not plain
    strings, writes to allowed tables, and writes on a database that a scope
    for other databases does not cover. Log and raise for anything else, or
    only log in warn-only mode.
    """
    connection: BaseDatabaseWrapper = context["connection"]
    decision = decide(connection.alias)
    if decision.allows_writes:
        return run_allowed(execute, sql, params, many, context)
    text = statement_text(sql, connection)
    vendor, with_params = connection.vendor, params is not None
    session = session_for(connection)
    if (
        text is not None
        and type(sql) is not str
        and is_read(text, vendor, with_params, session)
    ):
        return in_step(execute, sql, params, many, context, True)
    if text is not None and ALLOWED.allows(text, vendor, with_params):
        # Writable for this statement only: the context stays read-only.
        return in_step(execute, sql, params, many, context, True, writes=True)
    if watched(text, sql, connection.alias, decision):
        return in_step(execute, sql, params, many, context, True, writes=True)
    warn_only = CONF.warn_only
    audit.blocked(text, connection.alias, warn_only)
    if warn_only:
        return execute(sql, params, many, context)
    why = "" if text is None else why_blocked(text, vendor, with_params, session)
    raise blocked_error(text, sql, connection.alias, decision, why)


def watched(text: str | None, sql: Any, alias: str, decision: Decision) -> bool:
    """
    Tell every watching scope around the context of a blocked write; true
    when the one that blocked it lets it run after all.
    """
    run = False
    for activation, watcher in watchers_around(alias):
        decided = activation is decision.decided_by
        lets_run = watcher(BlockedWrite(shown_statement(text, sql), alias, decided))
        run = run or (decided and lets_run)
    return run


def in_step(
    execute: Execute,
    sql: Any,
    params: Any,
    many: bool,
    context: dict[str, Any],
    read_only: bool | None,
    writes: bool = False,
) -> Any:
    """
    Run a statement the guard let through with the database in the
    context's mode (None: find it out), or writable for it alone
    (``writes``), and explain a refusal by the database.
    """
    connection: BaseDatabaseWrapper = context["connection"]
    if connection.alias not in COVERAGE.aliases:
        return execute(sql, params, many, context)
    if read_only is None:
        read_only = not allowed_on(connection.alias)
    try:
        return mode_of(connection).run(
            execute, sql, params, many, context, read_only, writes
        )
    except Refused as refusal:
        raise refused_error(
            statement_text(sql, connection),
            sql,
            connection.alias,
            decide(connection.alias),
            refusal.stuck,
        ) from refusal.driver_error


def install(connection: BaseDatabaseWrapper) -> None:
    # Outermost, and once: Django keeps execute_wrappers across reconnects and
    # pooled checkouts, and its own execute_wrapper() pops the last item.
    guard = guard_for(connection.vendor)
    if guard not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, guard)
    connect_in_mode(type(connection))


def install_on_created(
    sender: object, connection: BaseDatabaseWrapper, **kwargs: object
) -> None:
    install(connection)
    follow_new_connection(connection)
