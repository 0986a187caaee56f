"""
Read-only mode entered because the database refuses writes by itself, with
``DJANGO_READ_ONLY_FOLLOW_DATABASE``: a hot standby, a server or role with
``default_transaction_read_only`` (PostgreSQL SQLSTATE 25006), a server
started ``--read-only`` (MariaDB/MySQL error 1290, 1836 for MySQL's
``super_read_only``).

A watcher on each connection notes such a refusal when the context that sent
the statement allowed writes (so no scope or backstop of ours caused it). The
process is then read-only for ``DJANGO_READ_ONLY_DATABASE_PERIOD`` seconds:
the middleware answers writes with its 503, reads go on. When the period
ends, the next request asks each database that refused whether it is still
read-only, and the process stays for another period or leaves. With
``DJANGO_READ_ONLY_DATABASE_SWITCH`` it also turns the fleet switch on for
the period, so that every process follows at once.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from asgiref.sync import sync_to_async
from django.core.signals import setting_changed
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

from readonly_scopes.audit import logger
from readonly_scopes.backstop.modes import Execute
from readonly_scopes.conf import CONF
from readonly_scopes.state import writes_allowed
from readonly_scopes.switch import SWITCH, SiteState

PG_READ_ONLY = "25006"
MYSQL_READ_ONLY = (1290, 1836)
SWITCH_BY = "readonly_scopes on {host}, because database {alias!r} refused writes"


def refusal(error: BaseException) -> str | None:
    """How the database said it is read-only, when ``error`` is that refusal."""
    cause: BaseException | None = error
    while cause is not None:
        code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if code == PG_READ_ONLY:
            return f"SQLSTATE {PG_READ_ONLY}"
        args = cause.args
        if isinstance(cause, DatabaseError) and args and args[0] in MYSQL_READ_ONLY:
            return f"error {args[0]}"
        cause = cause.__cause__
    return None


def still_read_only(alias: str) -> bool:
    """Ask the database, cheaply, whether it still refuses writes."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_is_in_recovery() "
                "OR current_setting('transaction_read_only') = 'on'"
            )
        else:
            cursor.execute("SELECT @@read_only")
        row = cursor.fetchone()
    return bool(row[0])


class DatabaseReadOnly:
    """Whether this process is read-only because a database is, and until when."""

    def __init__(self) -> None:
        self.aliases: set[str] = set()
        self.since = 0.0
        self.until: float | None = None
        self.reason = ""
        self.lock = threading.Lock()

    def refused(self, alias: str, how: str) -> None:
        with self.lock:
            self.aliases.add(alias)
            if self.until is not None:
                return
            period = CONF.database_period
            self.since = time.time()
            self.until = self.since + period
            self.reason = f"database {alias!r}, which refused a write ({how})"
        logger.warning(
            "Database %r refused a write by itself (%s): it is read-only, as on a "
            "hot standby or a server started --read-only. This process is "
            "read-only now, and asks the database again in %s s.",
            alias,
            how,
            period,
        )
        if CONF.database_switch:
            self.turn_on_switch(alias, period)

    def state(self) -> SiteState | None:
        """The read-only state to apply now, or None once the database writes."""
        until = self.until
        if until is None:
            return None
        if time.time() < until:
            return SiteState(True, self.since, until, self.reason)
        if not self.lock.acquire(blocking=False):
            # Another thread is asking the database: read-only until it knows.
            return SiteState(True, self.since, time.time() + 1, self.reason)
        try:
            return self.ask_again()
        finally:
            self.lock.release()

    def due(self) -> bool:
        return self.until is not None and time.time() >= self.until

    def ask_again(self) -> SiteState | None:
        still = set()
        for alias in self.aliases:
            try:
                if still_read_only(alias):
                    still.add(alias)
            except DatabaseError as error:
                logger.warning(
                    "Could not ask database %r whether it is still read-only "
                    "(%s); staying read-only.",
                    alias,
                    error,
                )
                still.add(alias)
        period = CONF.database_period
        if still:
            self.aliases = still
            self.until = time.time() + period
            if CONF.database_switch:
                self.turn_on_switch(min(still), period)
            return SiteState(True, self.since, self.until, self.reason)
        logger.warning(
            "Database%s %s accept%s writes again: this process leaves the read-only "
            "mode it entered %.0f s ago.",
            "s" if len(self.aliases) > 1 else "",
            ", ".join(map(repr, sorted(self.aliases))),
            "" if len(self.aliases) > 1 else "s",
            time.time() - self.since,
        )
        self.aliases = set()
        self.until = None
        return None

    def turn_on_switch(self, alias: str, period: float) -> None:
        """
        Turn the fleet switch on for the period, unless someone else's is on,
        or scheduled: the record would replace their window.
        """
        by = SWITCH_BY.format(host=socket.gethostname(), alias=alias)
        current = SWITCH.current()
        scheduled = current.seconds_to_start() is not None
        if (current.on or scheduled) and current.by != by:
            return
        now = time.time()
        try:
            SWITCH.store(SiteState(True, now, now + period, by))
        except Exception as error:
            logger.warning(
                "Could not turn the site read-only switch on for database %r (%s).",
                alias,
                error,
            )


DATABASE = DatabaseReadOnly()


def apply(state: SiteState) -> SiteState:
    """The switch's state, or the database's read-only state when only it is on."""
    if state.on:
        return state
    return DATABASE.state() or state


def refused_state(error: BaseException) -> SiteState | None:
    """The state to answer a failed request with, when the database refused."""
    until = DATABASE.until
    if until is None or refusal(error) is None:
        return None
    return SiteState(True, DATABASE.since, until, DATABASE.reason)


def watch(
    execute: Execute, sql: Any, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    try:
        return execute(sql, params, many, context)
    except DatabaseError as error:
        how = refusal(error)
        # Refused where writes were allowed: the database's doing, not ours.
        if how is not None and writes_allowed(context["connection"].alias):
            DATABASE.refused(context["connection"].alias, how)
        raise


def install(connection: BaseDatabaseWrapper) -> None:
    following = CONF.follow_database
    if following and watch not in connection.execute_wrappers:
        # Inside the guard: it sees the database's error, before the backstop
        # turns it into a ReadOnlyError.
        connection.execute_wrappers.insert(1, watch)
    elif not following and watch in connection.execute_wrappers:
        connection.execute_wrappers.remove(watch)


def install_on_created(
    sender: object, connection: BaseDatabaseWrapper, **kwargs: object
) -> None:
    install(connection)


def reload_setting(setting: str, **kwargs: object) -> None:
    if setting == "DJANGO_READ_ONLY_FOLLOW_DATABASE":
        for connection in connections.all(initialized_only=True):
            install(connection)


async def aapply(state: SiteState) -> SiteState:
    if DATABASE.due() and not state.on:
        # Asking the database is a query: not on the event loop's thread.
        return await sync_to_async(apply)(state)
    return apply(state)


def start() -> None:
    """Watch every connection, now and when Django opens one, as the setting says."""
    for connection in connections.all():
        install(connection)
    connection_created.connect(install_on_created, dispatch_uid="readonly_scopes_db")
    setting_changed.connect(reload_setting, dispatch_uid="readonly_scopes_db")
