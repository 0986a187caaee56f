"""
Asking a database itself whether a statement is a read: run it in the
database's own read-only mode and see whether it refuses.
"""

from __future__ import annotations

from typing import Any


def refused(vendor: str, error: Exception) -> bool:
    if vendor == "sqlite":
        return "readonly database" in str(error)
    if vendor == "postgresql":
        return getattr(error, "sqlstate", None) == "25006"
    return error.args[:1] == (1792,)


def run_statement(cursor: Any, vendor: str, sql: str, params: Any) -> None:
    if vendor == "postgresql" and sql.startswith("COPY"):
        with cursor.copy(sql) as copy:
            for _ in copy:
                pass
        return
    cursor.execute(sql, params)
    if vendor == "mysql":
        while cursor.nextset():
            pass


READ_ONLY_MODES = {
    "sqlite": (["PRAGMA query_only = 1"], ["PRAGMA query_only = 0"]),
    "postgresql": (["BEGIN READ ONLY"], ["ROLLBACK"]),
    # The session flag, not START TRANSACTION READ ONLY alone: statements that
    # commit implicitly (DDL) would otherwise run read-write.
    "mysql": (
        ["SET SESSION TRANSACTION READ ONLY", "START TRANSACTION"],
        ["ROLLBACK", "SET SESSION TRANSACTION READ WRITE"],
    ),
}


def run_read_only(
    connection: Any, sql: str, params: Any = None, setup: tuple[str, ...] = ()
) -> Exception | None:
    """
    Run ``sql`` after ``setup`` in the database's own read-only mode, leaving
    nothing behind, and return the error it raised, if any.
    """
    vendor = connection.vendor
    cursor = connection.create_cursor()
    begin, end = READ_ONLY_MODES[vendor]
    for statement in begin:
        cursor.execute(statement)
    try:
        for statement in setup:
            run_statement(cursor, vendor, statement, None)
        run_statement(cursor, vendor, sql, params)
    except Exception as error:
        return error
    finally:
        for statement in end:
            cursor.execute(statement)
        if vendor == "sqlite" and connection.connection.in_transaction:
            cursor.execute("ROLLBACK")
        cursor.close()
    return None
