"""
Capturing the statements Django sends, and labelling each one with the
database's own read-only mode at the moment it is sent.

``LabellingWrapper`` sits inside the guard on one connection. Before letting a
statement through, it runs it once in read-only mode and undoes it:

* SQLite: ``PRAGMA query_only`` on the same connection, around the statement.
* PostgreSQL: on the same connection, ``BEGIN READ ONLY ... ROLLBACK`` outside
  a transaction, or inside one a savepoint made read-only and rolled back.
* MariaDB: a second connection in read-only session mode, because a running
  transaction cannot be made read-only there.

Transaction control (BEGIN, SAVEPOINT, RELEASE, ROLLBACK, COMMIT) is not run
twice; the SQL corpus checks those statements against each database instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from readonly_scopes.sql.verdicts import is_read
from tests.database_truth import refused

TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


@dataclass
class Labelled:
    sql: str
    database_reads: bool | None  # None: transaction control, not run twice.
    classifier_reads: bool


@dataclass
class LabellingWrapper:
    connection: Any
    seen: dict[str, Labelled] = field(default_factory=dict)
    mysql_probe: Any = None

    def __call__(
        self, execute: Any, sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if many:
            params = list(params)
        if sql not in self.seen:
            first_params = params[0] if many and params else params
            self.seen[sql] = Labelled(
                sql,
                self.database_reads(sql, first_params),
                is_read(sql, self.connection.vendor, params is not None),
            )
        return execute(sql, params, many, context)

    def database_reads(self, sql: str, params: Any) -> bool | None:
        if sql.lstrip().upper().startswith(TRANSACTION_CONTROL):
            return None
        vendor = self.connection.vendor
        try:
            if vendor == "sqlite":
                self.run_on_sqlite(sql, params)
            elif vendor == "postgresql":
                self.run_on_postgresql(sql, params)
            else:
                self.run_on_mysql(sql, params)
        except Exception as error:
            if refused(vendor, error):
                return False
            raise AssertionError(
                f"{sql!r} failed in read-only mode: {error!r}"
            ) from error
        return True

    def run_on_sqlite(self, sql: str, params: Any) -> None:
        cursor = self.connection.create_cursor()
        cursor.execute("PRAGMA query_only = 1")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("PRAGMA query_only = 0")
            cursor.close()

    def run_on_postgresql(self, sql: str, params: Any) -> None:
        from psycopg.pq import TransactionStatus

        raw = self.connection.connection
        idle = raw.info.transaction_status == TransactionStatus.IDLE
        begin = (
            ["BEGIN READ ONLY"]
            if idle
            else ["SAVEPOINT rs_label", "SET TRANSACTION READ ONLY"]
        )
        end = (
            ["ROLLBACK"]
            if idle
            else ["ROLLBACK TO SAVEPOINT rs_label", "RELEASE SAVEPOINT rs_label"]
        )
        with self.connection.create_cursor() as cursor:
            for statement in begin:
                cursor.execute(statement)
            try:
                cursor.execute(sql, params)
            finally:
                for statement in end:
                    cursor.execute(statement)

    def run_on_mysql(self, sql: str, params: Any) -> None:
        if self.mysql_probe is None:
            import MySQLdb

            self.mysql_probe = MySQLdb.connect(
                **self.connection.get_connection_params()
            )
            setup = self.mysql_probe.cursor()
            setup.execute("SET SESSION lock_wait_timeout = 5")
            setup.execute("SET SESSION innodb_lock_wait_timeout = 5")
            setup.execute("SET SESSION TRANSACTION READ ONLY")
            setup.close()
        cursor = self.mysql_probe.cursor()
        try:
            cursor.execute("START TRANSACTION")
            cursor.execute(sql, params)
            while cursor.nextset():
                pass
        finally:
            cursor.execute("ROLLBACK")
            cursor.close()

    def close(self) -> None:
        if self.mysql_probe is not None:
            self.mysql_probe.close()
