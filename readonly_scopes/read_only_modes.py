"""
Each database's own read-only mode on one connection: what it is now, and the
statements that switch it.

The mode is tracked, not asked for, so that a statement whose context wants
the mode the connection is already in costs nothing extra. A tracked value of
None means unknown (a connection just taken from a pool): the next statement
sends a switch whichever mode it wants.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper

from readonly_scopes.errors import refused_error
from readonly_scopes.sql.text import statement_text
from readonly_scopes.state import decide

# Django's execute(sql, params, many, context), as an execute wrapper gets it.
Execute = Callable[[Any, Any, bool, dict[str, Any]], Any]

# libpq's transaction status, the same numbers in psycopg 3 and psycopg2.
PG_IDLE = 0
PG_IN_ERROR = 3
SAVEPOINT = "readonly_scopes_read_only"
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


class Backstop(ABC):
    """The read-only mode of one connection, switched only when it must change."""

    __slots__ = ("connection", "read_only")

    def __init__(self, connection: BaseDatabaseWrapper, read_only: bool | None) -> None:
        self.connection = connection
        self.read_only = read_only

    def sync(self, read_only: bool) -> None:
        if self.read_only is not read_only:
            self.switch(read_only)

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
    ) -> Any:
        mode = self.mode_for(sql, read_only)
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
            raise refused_error(
                statement_text(sql, self.connection),
                sql,
                self.connection.alias,
                decide(),
                stuck,
            ) from driver_error
        finally:
            if mode is not None and mode is not read_only:
                # Back at once, for raw driver calls that come next.
                self.sync(read_only)

    def mode_for(self, sql: Any, read_only: bool) -> bool | None:
        """
        The mode to run a statement in: the context's, unless the database
        needs another for it; None to leave the connection as it is.
        """
        return read_only

    @abstractmethod
    def is_refusal(self, driver_error: BaseException) -> bool:
        """Whether the error is the database's read-only mode refusing a write."""

    def recover(self, read_only: bool) -> None:  # noqa: B027  Optional, as most need nothing.
        """Make the connection usable again after the database refused a write."""

    def why_stuck(self) -> tuple[str, str] | tuple[()]:
        """Why the database may stay read-only where writes are allowed, and the fix."""
        return ()


class SQLiteBackstop(Backstop):
    __slots__ = ()

    def switch(self, read_only: bool) -> None:
        self.send(f"PRAGMA query_only = {int(read_only)}")
        self.read_only = read_only

    def mode_for(self, sql: Any, read_only: bool) -> bool | None:
        # query_only refuses BEGIN IMMEDIATE/EXCLUSIVE, which atomic() sends
        # with OPTIONS["transaction_mode"]; taking the lock writes nothing.
        if read_only and type(sql) is str and locks_for_writing(sql):
            return False
        return read_only

    def is_refusal(self, driver_error: BaseException) -> bool:
        # A read-only file gives the same error: only ours counts.
        return self.read_only is True and (
            getattr(driver_error, "sqlite_errorname", None) == "SQLITE_READONLY"
            or str(driver_error) == "attempt to write a readonly database"
        )


def locks_for_writing(sql: str) -> bool:
    words = sql.split(None, 2)
    return (
        len(words) >= 2
        and words[0].upper() == "BEGIN"
        and words[1].upper() in ("IMMEDIATE", "EXCLUSIVE")
    )


class PostgreSQLBackstop(Backstop):
    """
    In autocommit, the session default decides each statement. In a
    transaction, read-only is a savepoint with ``SET TRANSACTION READ ONLY``:
    releasing it gives the transaction its read-write state back.
    """

    __slots__ = ("savepoint", "session_read_only", "stuck")

    def __init__(self, connection: BaseDatabaseWrapper, read_only: bool | None) -> None:
        super().__init__(connection, read_only)
        self.session_read_only = read_only
        # Django's savepoint ids when ours was made, while ours exists.
        self.savepoint: list[str] | None = None
        self.stuck: tuple[str, str] | None = None

    def sync(self, read_only: bool) -> None:
        if self.read_only is read_only and (
            self.savepoint is None or self.savepoint_alive()
        ):
            return
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
                    else "RESET default_transaction_read_only"
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
            self.send("RESET default_transaction_read_only; SET TRANSACTION READ WRITE")
            self.session_read_only = self.read_only = False
        else:
            # Only used to explain a refusal, which proves it read-only.
            self.stuck = (PG_BEGAN_READ_ONLY, BEGAN_READ_ONLY_REMEDY)

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

    def is_refusal(self, driver_error: BaseException) -> bool:
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


class MySQLBackstop(Backstop):
    """
    The session's transaction mode, which applies from the next transaction:
    in autocommit that is the next statement. Inside a transaction it is only
    ever switched back to read-write, for a transaction that has not begun yet;
    making it read-only there would leave the rest of the transaction
    read-only after the scope ends.
    """

    __slots__ = ()

    def switch(self, read_only: bool) -> None:
        if read_only and not self.connection.autocommit:
            return
        self.send(
            f"SET SESSION TRANSACTION {'READ ONLY' if read_only else 'READ WRITE'}"
        )
        self.read_only = read_only

    def is_refusal(self, driver_error: BaseException) -> bool:
        return bool(driver_error.args) and driver_error.args[0] == 1792

    def why_stuck(self) -> tuple[str, str] | tuple[()]:
        if self.read_only or self.connection.autocommit:
            return ()
        return (MYSQL_BEGAN_READ_ONLY, BEGAN_READ_ONLY_REMEDY)


BACKSTOPS: dict[str, type[Backstop]] = {
    "sqlite": SQLiteBackstop,
    "postgresql": PostgreSQLBackstop,
    "mysql": MySQLBackstop,
}
