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
import threading
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from readonly_scopes.enforcement import ENFORCEMENT
from readonly_scopes.read_only_modes import BACKSTOPS, Backstop, Execute
from readonly_scopes.state import writes_allowed

ATTRIBUTE = "readonly_scopes_backstop"


class ThreadBackstops(threading.local):
    """
    This thread's backstops by alias, for following scopes without asking
    Django's connection handler, whose per-thread lookups cost microseconds.
    Django gives each thread its own connections, so each thread has its own.
    """

    def __init__(self) -> None:
        self.by_alias: dict[str, Backstop] = {}


THREAD = ThreadBackstops()


def attach(connection: BaseDatabaseWrapper) -> Backstop:
    """
    Start following a connection. The backstop never changed its mode before
    (it drops a connection only after giving it back its default), so it is
    in the database's default mode, unless it came from a pool, where another
    user may have left it in any mode.
    """
    pooled = bool(connection.settings_dict["OPTIONS"].get("pool"))
    backstop = BACKSTOPS[connection.vendor](connection, None if pooled else False)
    setattr(connection, ATTRIBUTE, backstop)
    THREAD.by_alias[connection.alias] = backstop
    return backstop


def detach(connection: BaseDatabaseWrapper) -> None:
    connection.__dict__.pop(ATTRIBUTE, None)
    THREAD.by_alias.pop(connection.alias, None)


def backstop_of(connection: BaseDatabaseWrapper) -> Backstop:
    backstop: Backstop | None = getattr(connection, ATTRIBUTE, None)
    return backstop if backstop is not None else attach(connection)


def enforce(
    execute: Execute,
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
    if not ENFORCEMENT.on or not THREAD.by_alias or in_event_loop():
        return
    read_only = not writes_allowed()
    for alias, backstop in list(THREAD.by_alias.items()):
        if alias in ENFORCEMENT.aliases and backstop.connection.connection is not None:
            backstop.sync(read_only)


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
        attach(connection).sync(not writes_allowed())
    else:
        detach(connection)


def follow_open_connections() -> None:
    """
    After coverage changed: take on this thread's open connections that it
    now includes, and give those it left their default mode back. Other
    threads' connections catch up at their next statement or connect.
    """
    for connection in connections.all(initialized_only=True):
        covered = connection.alias in ENFORCEMENT.aliases
        attached = hasattr(connection, ATTRIBUTE)
        if covered and not attached and connection.connection is not None:
            attach(connection)
        elif not covered and attached:
            if connection.connection is not None:
                backstop_of(connection).sync(False)
            detach(connection)
    follow()


def reload_coverage() -> None:
    ENFORCEMENT.load_from_configuration()
    follow_open_connections()
