"""
The backstop: on the databases ``DJANGO_READ_ONLY_ENFORCE`` covers, each
connection's own read-only mode follows the effective state, so the database
refuses writes the guard cannot see (functions and procedures that write,
``callproc()``, the raw driver connection, ``executescript()``, ``copy()``).

A connection is brought in step:

* before every statement that goes through Django's cursor, in the context
  that runs it, so coroutines that share one connection each get their own
  state;
* when a scope is entered or exited, or the process flag is flipped, for the
  connections this thread has open, so that raw driver calls right after see
  the new state. The thread that runs an event loop is skipped: its scopes
  reach the database through ``sync_to_async`` threads, which catch up at
  their next statement;
* when Django connects or takes a connection from a pool.
"""

from __future__ import annotations

import asyncio
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from readonly_scopes.enforcement import ENFORCEMENT
from readonly_scopes.read_only_modes import BACKSTOPS, Backstop
from readonly_scopes.state import writes_allowed

ATTRIBUTE = "readonly_scopes_backstop"


def attach(connection: BaseDatabaseWrapper, fresh: bool) -> Backstop:
    """
    Start following a connection. A fresh, unpooled connection is known to be
    in the database's default mode; anything else is unknown until switched.
    """
    known = fresh and not connection.settings_dict["OPTIONS"].get("pool")
    backstop = BACKSTOPS[connection.vendor](connection, False if known else None)
    setattr(connection, ATTRIBUTE, backstop)
    return backstop


def backstop_of(connection: BaseDatabaseWrapper) -> Backstop:
    backstop: Backstop | None = getattr(connection, ATTRIBUTE, None)
    return backstop if backstop is not None else attach(connection, fresh=False)


def enforce(
    execute: Any,
    sql: Any,
    params: Any,
    many: bool,
    context: dict[str, Any],
    read_only: bool | None,
) -> Any:
    """Run a statement the guard let through, with the database in step."""
    connection: BaseDatabaseWrapper = context["connection"]
    if connection.alias not in ENFORCEMENT.aliases:
        return execute(sql, params, many, context)
    if read_only is None:
        read_only = not writes_allowed()
    return backstop_of(connection).run(execute, sql, params, many, context, read_only)


def follow() -> None:
    """Bring this thread's open, covered connections in step with its state."""
    if not ENFORCEMENT.on or in_event_loop():
        return
    read_only = not writes_allowed()
    for connection in connections.all(initialized_only=True):
        if (
            connection.alias in ENFORCEMENT.aliases
            and connection.connection is not None
        ):
            backstop_of(connection).sync(read_only)


def in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def follow_new_connection(connection: BaseDatabaseWrapper) -> None:
    # Django sends connection_created on every connect and pooled checkout;
    # whatever this wrapper's earlier connection was in no longer applies.
    if connection.alias in ENFORCEMENT.aliases:
        attach(connection, fresh=True).sync(not writes_allowed())
    else:
        connection.__dict__.pop(ATTRIBUTE, None)


def reload_coverage() -> None:
    """
    Re-read DJANGO_READ_ONLY_ENFORCE. This thread's connections that leave
    coverage get their default mode back; other threads' do when they next
    connect.
    """
    ENFORCEMENT.load_from_configuration()
    for connection in connections.all(initialized_only=True):
        if connection.alias in ENFORCEMENT.aliases or not hasattr(
            connection, ATTRIBUTE
        ):
            continue
        if connection.connection is not None:
            backstop_of(connection).sync(False)
        delattr(connection, ATTRIBUTE)
    follow()
