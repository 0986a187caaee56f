"""
The per-thread registry of covered connections' modes, and when they switch.

The database's mode follows the context, with the fewest statements:

* before every statement through Django's cursor, in the context that runs
  it, so coroutines that share one connection each get their own state;
* at once when a scope is entered or the process flag flipped, and when a
  scope ends inside a read-only state: this thread's open connections not
  in the wanted mode switch, so that raw driver calls right after see it.
  Django checks a connection's health first;
* lazily to writable when a scope ends: nothing is sent, and the next
  statement through Django's cursor switches first. This is for session
  modes on servers; SQLite (no round trip) and PostgreSQL's read-only
  savepoint inside a transaction (which the transaction needs back) switch
  at once. A connection that stays
  read-only from one request to the next never switches at all;
* both ways when Django connects or takes a connection from its pool, whose
  mode is known without asking (see ``modes``). A new PostgreSQL connection
  starts in the wanted mode, set in its connection parameters.

The thread that runs an event loop is left alone: its scopes reach the
database through ``sync_to_async`` threads, which catch up at their next
statement.
"""

from __future__ import annotations

import threading
from asyncio.events import _get_running_loop
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from readonly_scopes.backstop.coverage import COVERAGE
from readonly_scopes.backstop.modes import (
    MODES,
    OPENED_READ_ONLY,
    DatabaseMode,
)
from readonly_scopes.state import Activation, allowed_on

ATTRIBUTE = "readonly_scopes_mode"


class ThreadModes(threading.local):
    """
    This thread's connection modes by alias, for following scopes without
    asking Django's connection handler, whose per-thread lookups cost
    microseconds. Django gives each thread its own connections.
    """

    def __init__(self) -> None:
        self.by_alias: dict[str, DatabaseMode] = {}


THREAD = ThreadModes()


def attach(connection: BaseDatabaseWrapper) -> DatabaseMode:
    """Start following an open connection, in the mode it is in now."""
    mode = MODES[connection.vendor](connection)
    setattr(connection, ATTRIBUTE, mode)
    THREAD.by_alias[connection.alias] = mode
    return mode


def detach(connection: BaseDatabaseWrapper) -> None:
    connection.__dict__.pop(ATTRIBUTE, None)
    THREAD.by_alias.pop(connection.alias, None)


def mode_of(connection: BaseDatabaseWrapper) -> DatabaseMode:
    mode: DatabaseMode | None = getattr(connection, ATTRIBUTE, None)
    return mode if mode is not None else attach(connection)


def follow() -> None:
    """
    After a scope was entered or the process flag changed: bring this
    thread's open connections in step with the state, at once.
    """
    if COVERAGE.on and THREAD.by_alias and _get_running_loop() is None:
        switch_open_connections()


def follow_exit(ended: Activation) -> None:
    """
    After a scope ended: switch each database to read-only at once if the
    state around it is, and leave the switch to writable to the next
    statement that needs it. A connection that is read-only from one request
    to the next never switches at all.
    """
    if COVERAGE.on and THREAD.by_alias and _get_running_loop() is None:
        ended_on = ended.aliases
        for alias, mode in THREAD.by_alias.items():
            # A scope for some databases changed nothing on the others.
            if alias not in COVERAGE.aliases or (
                ended_on is not None and alias not in ended_on
            ):
                continue
            read_only = not allowed_on(alias)
            switch(mode, read_only, lazily=not read_only)
            if not read_only and mode.read_only:
                mode.left_read_only_by(f"{ended.kind} entered at {ended.origin}")


def bring_in_step() -> None:
    """
    Bring this thread's covered connections in step with the current state
    now, for using the driver's connection directly right after a scope ended.
    """
    if COVERAGE.on:
        switch_open_connections()


def switch_open_connections() -> None:
    """Switch this thread's open, covered connections that are not in their mode."""
    for alias, mode in THREAD.by_alias.items():
        if alias in COVERAGE.aliases:
            switch(mode, not allowed_on(alias))


def switch(mode: DatabaseMode, read_only: bool, lazily: bool = False) -> None:
    """
    Switch one open connection if it is not in the mode; ``lazily``, only if
    its switch may not wait for the next statement.
    """
    if mode.noted:
        mode.forget_scope()
    if not mode.in_mode(read_only) and not (lazily and mode.may_stay_read_only()):
        connection = mode.connection
        # Django checks a persistent connection's health at its first use in
        # a request: let it, before sending anything. A dead connection is
        # closed, and the next connect syncs.
        connection.close_if_health_check_failed()
        if connection.connection is not None:
            mode.sync_or_mark_lost(read_only)


def connect_in_mode(backend: type[BaseDatabaseWrapper]) -> None:
    """
    Have a backend's new connections start in the mode of the context that
    opens them where the database takes it with the connection's parameters
    (PostgreSQL), so that connecting anew for each request sends nothing
    more. Django's pool makes its connections itself: they sync at checkout.
    """
    original = backend.get_new_connection
    if backend.vendor != "postgresql" or hasattr(original, "connects_in_mode"):
        return

    def get_new_connection(self: BaseDatabaseWrapper, conn_params: Any) -> Any:
        if (
            self.alias not in COVERAGE.aliases
            or self.settings_dict["OPTIONS"].get("pool")
            or allowed_on(self.alias)
        ):
            return original(self, conn_params)
        options = conn_params.get("options", "")
        conn_params = {
            **conn_params,
            "options": f"{options} -c default_transaction_read_only=on".strip(),
        }
        raw = original(self, conn_params)
        setattr(raw, OPENED_READ_ONLY, True)
        return raw

    get_new_connection.connects_in_mode = True  # type: ignore[attr-defined]
    backend.get_new_connection = get_new_connection  # type: ignore[method-assign]


def follow_new_connection(connection: BaseDatabaseWrapper) -> None:
    # Django sends connection_created on every connect and pooled checkout;
    # whatever this wrapper's earlier connection was in no longer applies.
    if connection.alias not in COVERAGE.aliases:
        detach(connection)
        return
    # Both ways: a fresh checkout has no scope that ended to explain a
    # refusal, and a pool in a steady state hands back the mode wanted.
    attach(connection).sync(not allowed_on(connection.alias))


def follow_open_connections() -> None:
    """
    After coverage changed: take on this thread's open connections that it
    now includes, and give those it left their default mode back. Other
    threads' connections catch up at their next statement or connect.
    """
    for connection in connections.all(initialized_only=True):
        covered = connection.alias in COVERAGE.aliases
        attached = hasattr(connection, ATTRIBUTE)
        if covered and not attached and connection.connection is not None:
            attach(connection)
        elif not covered and attached:
            if connection.connection is not None:
                mode_of(connection).sync_or_mark_lost(False)
            detach(connection)
    follow()


def reload_coverage() -> None:
    COVERAGE.load_from_configuration()
    follow_open_connections()
