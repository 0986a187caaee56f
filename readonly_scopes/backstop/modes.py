"""
Each database's own read-only mode on one connection: what it is now, and the
statements that switch it.

The mode is tracked, not asked for, so that a statement whose context wants
the mode the connection is already in costs nothing extra. A tracked value of
None means unknown: the next statement sends a switch whichever mode it wants.
PostgreSQL reports its session default to the driver whenever it changes, so
the mode of a connection taken from a pool is read from the driver's
connection, where it arrived with the last user's statements.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper

# Django's execute(sql, params, many, context), as an execute wrapper gets it.
Execute = Callable[[Any, Any, bool, dict[str, Any]], Any]

# libpq's transaction status, the same numbers in psycopg 3 and psycopg2.
PG_IDLE = 0
PG_IN_ERROR = 3
SAVEPOINT = "readonly_scopes_read_only"
# Set on a PostgreSQL driver connection opened with its session read-only.
OPENED_READ_ONLY = "readonly_scopes_opened_read_only"
# Set on a driver connection left read-only by a scope that ended: the note.
LEFT_BY = "readonly_scopes_left_by"
NOTE = (
    "readonly_scopes: this connection is still read-only from {scope}, which "
    "has ended; the backstop makes it writable before the next statement "
    "through Django's cursor. To use the driver's connection directly, call "
    "readonly_scopes.backstop.bring_in_step() first."
)
SAVEPOINT_ENDS = ("RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT ")

PG_BEGAN_READ_ONLY = (
    "this transaction began, or ran its first query, in read-only mode, and "
    "PostgreSQL cannot make a transaction read-write again after that"
)
PG_SAVEPOINT_INSIDE = (
    "the read-only part of this transaction began before a savepoint that is "
    "still open (an atomic() block entered inside read_only()), and it can only "
    "end together with that savepoint"
)
BEGAN_READ_ONLY_REMEDY = (
    "start the transaction (the outer atomic() block) inside temp_writes() or "
    "outside read_only(), so that it begins read-write"
)
PG_SAVEPOINT_INSIDE_REMEDY = (
    "write after the inner atomic() block ends, or enter temp_writes() before "
    "that atomic() block"
)
MYSQL_BEGAN_READ_ONLY = (
    "this transaction began in read-only mode, and MariaDB/MySQL cannot switch a "
    "running transaction to read-write"
)


class Refused(Exception):
    """
    The database refused a statement in the read-only mode this package put
    it in; the guard turns it into a ReadOnlyError that explains why.
    """

    def __init__(self, driver_error: BaseException, stuck: tuple[str, str] | tuple[()]):
        super().__init__(str(driver_error))
        self.driver_error = driver_error
        # Why a context that allows writes still found it read-only, and the fix.
        self.stuck = stuck


class DatabaseMode(ABC):
    """The read-only mode of one connection, switched only when it must change."""

    __slots__ = ("connection", "noted", "read_only")

    # The driver connection's attribute that holds its cursor class, where a
    # driver lets it be set per connection (psycopg, mysqlclient).
    cursor_class_attribute: ClassVar[str | None] = None

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection
        self.read_only: bool | None = self.initial_mode()
        # A pool may hand back a driver connection a scope's end left noted.
        self.noted = True
        self.forget_scope()

    def initial_mode(self) -> bool | None:
        # A new connection is in the database's default mode, unless a pool
        # handed back one that another user may have left in any mode.
        pooled = bool(self.connection.settings_dict["OPTIONS"].get("pool"))
        return None if pooled else False

    def in_mode(self, read_only: bool) -> bool:
        return self.read_only is read_only

    def sync(self, read_only: bool) -> None:
        # Runs for every covered statement: in_mode() inlined.
        if self.noted:
            self.forget_scope()
        if self.read_only is not read_only:
            self.switch(read_only)

    def may_stay_read_only(self) -> bool:
        """
        Whether, when the context starts allowing writes, switching may wait
        for the next statement: a session mode kept across requests, which
        the next request most often wants again.
        """
        return True

    def left_read_only_by(self, scope: str) -> None:
        """
        The connection stays read-only after ``scope`` ended: until it is in
        step again, the driver's refusal of a raw write gets a note saying so.
        """
        name = self.cursor_class_attribute
        raw = self.connection.connection
        if name is None or raw is None:
            return
        setattr(raw, LEFT_BY, NOTE.format(scope=scope))
        # Plain here: forget_scope() ran before, when the scope ended.
        setattr(raw, name, noting_cursor_class(getattr(raw, name), type(self).refused))
        self.noted = True

    def forget_scope(self) -> None:
        self.noted = False
        name = self.cursor_class_attribute
        raw = self.connection.connection
        if name is None or raw is None:
            return
        raw.__dict__.pop(LEFT_BY, None)
        plain = getattr(getattr(raw, name), "plain_cursor_class", None)
        if plain is not None:
            setattr(raw, name, plain)

    def sync_or_mark_lost(self, read_only: bool) -> None:
        """
        Sync, except on a connection that turns out to be broken: mark it for
        Django's usual recovery (closed at the next health check or the end of
        the request) instead of failing the code that changed scope.
        """
        try:
            self.sync(read_only)
        except DatabaseError:
            if self.connection.is_usable():
                raise
            self.read_only = None
            self.connection.errors_occurred = True
            self.connection.health_check_done = False  # type: ignore[attr-defined]

    @abstractmethod
    def switch(self, read_only: bool) -> None:
        """Put the connection in the mode, or as near as the database allows."""

    def send(self, statement: str) -> None:
        # Straight to the driver: the guard must not see or re-check these.
        with self.connection.wrap_database_errors:
            cursor = self.connection.connection.cursor()
            try:
                cursor.execute(statement)
            finally:
                cursor.close()

    def run(
        self,
        execute: Execute,
        sql: Any,
        params: Any,
        many: bool,
        context: dict[str, Any],
        read_only: bool,
        writes: bool,
    ) -> Any:
        """
        Run a statement with the connection in the context's mode, or
        writable for this statement alone when ``writes`` (a write the
        allow-list lets through a read-only context).
        """
        mode = False if writes else self.mode_for(sql, read_only)
        if mode is not None:
            self.sync(mode)
        try:
            return execute(sql, params, many, context)
        except DatabaseError as error:
            driver_error = error.__cause__ or error
            if not self.is_refusal(driver_error):
                raise
            stuck = self.why_stuck()
            self.recover(read_only)
            raise Refused(driver_error, stuck) from None
        finally:
            if read_only and mode is False:
                # Back in the context's mode before the caller goes on, so
                # that a raw driver call right after is refused.
                self.sync_or_mark_lost(True)

    def mode_for(self, sql: Any, read_only: bool) -> bool | None:
        """
        The mode to run a statement in: the context's, unless the database
        needs another for it; None to leave the connection as it is.
        """
        return read_only

    def is_refusal(self, driver_error: BaseException) -> bool:
        """Whether the error is the database's read-only mode refusing a write."""
        return type(self).refused(driver_error)

    @staticmethod
    @abstractmethod
    def refused(driver_error: BaseException) -> bool:
        """Whether a driver error is the database's read-only refusal."""

    def recover(self, read_only: bool) -> None:  # noqa: B027  Optional, as most need nothing.
        """Make the connection usable again after the database refused a write."""

    def why_stuck(self) -> tuple[str, str] | tuple[()]:
        """Why the database may stay read-only where writes are allowed, and the fix."""
        return ()


class SQLiteMode(DatabaseMode):
    __slots__ = ()

    def may_stay_read_only(self) -> bool:
        # A switch costs no round trip here.
        return False

    def switch(self, read_only: bool) -> None:
        self.send(f"PRAGMA query_only = {int(read_only)}")
        self.read_only = read_only

    def mode_for(self, sql: Any, read_only: bool) -> bool | None:
        # query_only refuses BEGIN IMMEDIATE/EXCLUSIVE, which atomic() sends
        # with OPTIONS["transaction_mode"]; taking the lock writes nothing.
        if read_only and type(sql) is str and locks_for_writing(sql):
            return False
        return read_only

    @staticmethod
    def refused(driver_error: BaseException) -> bool:
        return (
            getattr(driver_error, "sqlite_errorname", None) == "SQLITE_READONLY"
            or str(driver_error) == "attempt to write a readonly database"
        )

    def is_refusal(self, driver_error: BaseException) -> bool:
        # A read-only file gives the same error: only ours counts.
        return self.read_only is True and self.refused(driver_error)


def locks_for_writing(sql: str) -> bool:
    words = sql.split(None, 2)
    return (
        len(words) >= 2
        and words[0].upper() == "BEGIN"
        and words[1].upper() in ("IMMEDIATE", "EXCLUSIVE")
    )


class PostgreSQLMode(DatabaseMode):
    """
    In autocommit, the session default decides each statement. In a
    transaction, read-only is a savepoint with ``SET TRANSACTION READ ONLY``:
    releasing it gives the transaction its read-write state back.
    """

    __slots__ = ("savepoint", "session_read_only", "stuck")

    cursor_class_attribute = "cursor_factory"

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        super().__init__(connection)
        self.session_read_only = self.read_only
        # Django's savepoint ids when ours was made, while ours exists.
        self.savepoint: list[str] | None = None
        self.stuck: tuple[str, str] | None = None

    def initial_mode(self) -> bool | None:
        # The server reports this setting whenever it changes (PostgreSQL
        # 14+), so even a pooled connection's mode is known without asking.
        reported = self.connection.connection.info.parameter_status(
            "default_transaction_read_only"
        )
        return None if reported is None else reported == "on"

    def writable_default(self) -> str:
        # RESET goes back to the server's or role's default, unless the
        # connection was opened read-only: then that is its default.
        if getattr(self.connection.connection, OPENED_READ_ONLY, False):
            return "SET default_transaction_read_only = off"
        return "RESET default_transaction_read_only"

    def in_mode(self, read_only: bool) -> bool:
        return self.read_only is read_only and (
            self.savepoint is None or self.savepoint_alive()
        )

    def sync(self, read_only: bool) -> None:
        if self.noted:
            self.forget_scope()
        if not self.in_mode(read_only):
            self.switch(read_only)

    def switch(self, read_only: bool) -> None:
        connection = self.connection
        self.stuck = None
        if connection.autocommit:
            self.savepoint = None
            if self.session_read_only is not read_only:
                self.send(
                    "SET default_transaction_read_only = on"
                    if read_only
                    else self.writable_default()
                )
            self.session_read_only = self.read_only = read_only
            return
        status = connection.connection.info.transaction_status
        if status == PG_IN_ERROR:
            self.recover_savepoint(read_only)
            return
        if self.savepoint is not None and not self.savepoint_alive():
            self.savepoint = None
            self.read_only = self.session_read_only
        if self.savepoint is not None:
            if len(connection.savepoint_ids) > len(self.savepoint):
                self.stuck = (PG_SAVEPOINT_INSIDE, PG_SAVEPOINT_INSIDE_REMEDY)
                return
            self.send(f"RELEASE SAVEPOINT {SAVEPOINT}")
            self.savepoint = None
            self.read_only = self.session_read_only
            return
        if read_only:
            self.send(f"SAVEPOINT {SAVEPOINT}; SET TRANSACTION READ ONLY")
            self.savepoint = list(connection.savepoint_ids)
            self.read_only = True
        elif status == PG_IDLE:
            # No query has run yet, so the transaction may still turn read-write.
            self.send(f"{self.writable_default()}; SET TRANSACTION READ WRITE")
            self.session_read_only = self.read_only = False
        else:
            # Only used to explain a refusal, which proves it read-only.
            self.stuck = (PG_BEGAN_READ_ONLY, BEGAN_READ_ONLY_REMEDY)

    def may_stay_read_only(self) -> bool:
        # Ending the read-only savepoint gives the transaction its writes back.
        return self.savepoint is None

    def mode_for(self, sql: Any, read_only: bool) -> bool | None:
        # Django forgets a savepoint before it releases or rolls back to it.
        # Switching in between would nest the read-only savepoint in the one
        # about to end, and lose track of it.
        if type(sql) is str and sql.startswith(SAVEPOINT_ENDS):
            return None
        return read_only

    def savepoint_alive(self) -> bool:
        connection = self.connection
        saved = self.savepoint
        assert saved is not None
        return (
            not connection.autocommit
            and connection.connection.info.transaction_status != PG_IDLE
            and connection.savepoint_ids[: len(saved)] == saved
        )

    @staticmethod
    def refused(driver_error: BaseException) -> bool:
        code = getattr(driver_error, "sqlstate", None) or getattr(
            driver_error, "pgcode", None
        )
        return code == "25006"

    def recover(self, read_only: bool) -> None:
        if not self.connection.autocommit:
            self.switch(read_only)

    def recover_savepoint(self, read_only: bool) -> None:
        # A failed statement aborts the whole transaction. When it failed in
        # our read-only savepoint, where nothing was written, rolling back to
        # it saves the transaction, so the outer atomic() block can go on as
        # after a write the guard blocked. Otherwise Django's atomic() rolls
        # back to its own savepoint or the whole transaction.
        if self.savepoint is None or self.connection.savepoint_ids != self.savepoint:
            return
        if read_only:
            self.send(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}; SET TRANSACTION READ ONLY")
            return
        self.send(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}; RELEASE SAVEPOINT {SAVEPOINT}")
        self.savepoint = None
        self.read_only = self.session_read_only

    def why_stuck(self) -> tuple[str, str] | tuple[()]:
        return self.stuck or ()


class MySQLMode(DatabaseMode):
    """
    The session's transaction mode, which applies from the next transaction:
    in autocommit that is the next statement. Inside a transaction it is only
    ever switched back to read-write, for a transaction that has not begun yet;
    making it read-only there would leave the rest of the transaction
    read-only after the scope ends.
    """

    __slots__ = ()

    cursor_class_attribute = "cursorclass"

    def switch(self, read_only: bool) -> None:
        if read_only and not self.connection.autocommit:
            return
        self.send(
            f"SET SESSION TRANSACTION {'READ ONLY' if read_only else 'READ WRITE'}"
        )
        self.read_only = read_only

    @staticmethod
    def refused(driver_error: BaseException) -> bool:
        return bool(driver_error.args) and driver_error.args[0] == 1792

    def why_stuck(self) -> tuple[str, str] | tuple[()]:
        if self.read_only or self.connection.autocommit:
            return ()
        return (MYSQL_BEGAN_READ_ONLY, BEGAN_READ_ONLY_REMEDY)


def noting_cursor_class(
    plain: type[Any], refused: Callable[[BaseException], bool]
) -> type[Any]:
    """The driver's cursor class, adding the note to a refusal of a raw write."""
    if plain not in NOTING_CURSOR_CLASSES:

        def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return plain.execute(self, *args, **kwargs)
            except Exception as error:
                note = getattr(self.connection, LEFT_BY, None)
                if note is not None and refused(error):
                    # What add_note() does on 3.11+, where tracebacks show it;
                    # Python 3.10 keeps it there without showing it.
                    error.__notes__ = [*getattr(error, "__notes__", ()), note]
                raise

        NOTING_CURSOR_CLASSES[plain] = type(
            plain.__name__,
            (plain,),
            {
                "execute": execute,
                "plain_cursor_class": plain,
                "__module__": plain.__module__,
            },
        )
    return NOTING_CURSOR_CLASSES[plain]


NOTING_CURSOR_CLASSES: dict[type[Any], type[Any]] = {}


MODES: dict[str, type[DatabaseMode]] = {
    "sqlite": SQLiteMode,
    "postgresql": PostgreSQLMode,
    "mysql": MySQLMode,
}
