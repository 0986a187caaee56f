"""
Statements with the label the guard must give them, per dialect.

``read`` means the database's own read-only mode runs the statement; ``write``
that it refuses it. An entry with ``policy`` is labelled against what the
database does, for the reason given there; the truth test checks that the
database really does disagree with those labels.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL = ("sqlite", "postgresql", "mysql")
SERVERS = ("postgresql", "mysql")


@dataclass(frozen=True)
class Entry:
    sql: str
    read: bool
    vendors: tuple[str, ...] = ALL
    setup: tuple[str, ...] = ()
    policy: str = ""


def reads(*sqls: str, vendors: tuple[str, ...] = ALL) -> list[Entry]:
    return [Entry(sql, True, vendors) for sql in sqls]


def writes(*sqls: str, vendors: tuple[str, ...] = ALL) -> list[Entry]:
    return [Entry(sql, False, vendors) for sql in sqls]


CORPUS: list[Entry] = [
    *reads(
        "SELECT 1",
        "select 1",
        "  \n\tSELECT 1",
        "\r\nSELECT\n1",
        "-- leading comment\nSELECT 1",
        "/* leading comment */ SELECT 1",
        "SELECT name FROM rs_probe WHERE name = 'DELETE FROM rs_probe'",
        "SELECT name FROM rs_probe WHERE name = 'it''s; DROP TABLE rs_probe'",
        "SELECT COUNT(*) FROM rs_probe",
        "WITH t AS (SELECT 1 AS x) SELECT x FROM t",
        "SELECT 1;",
        "EXPLAIN SELECT * FROM rs_probe",
        "SAVEPOINT s1",
        "VALUES (1)",
        "SELECT REPLACE(name, 'a', 'b') FROM rs_probe",
        "SELECT 1 -- DELETE FROM rs_probe",
        "SELECT '--x', '/*' FROM rs_probe",
    ),
    Entry("RELEASE SAVEPOINT s1", True, setup=("SAVEPOINT s1",)),
    Entry("ROLLBACK TO SAVEPOINT s1", True, setup=("SAVEPOINT s1",)),
    Entry(
        'RELEASE SAVEPOINT "s 2"', True, ("sqlite", "postgresql"), ('SAVEPOINT "s 2"',)
    ),
    *writes(
        "INSERT INTO rs_probe (name) VALUES ('x')",
        "insert into rs_probe (name) values ('x')",
        "UPDATE rs_probe SET name = 'y'",
        "DELETE FROM rs_probe",
        "/* SELECT */ DELETE FROM rs_probe",
        "-- SELECT\nDELETE FROM rs_probe",
        "CREATE TABLE rs_other (x integer)",
        "CREATE TEMPORARY TABLE rs_temp (x integer)",
        "DROP TABLE rs_probe",
    ),
    # SQLite.
    *reads(
        "BEGIN",
        "BEGIN DEFERRED",
        "SELECT name FROM [rs_probe]",
        'SELECT "name" FROM "rs_probe"',
        "PRAGMA foreign_keys = OFF",
        "PRAGMA foreign_keys = ON",
        "PRAGMA foreign_key_check",
        "PRAGMA foreign_key_check(rs_probe)",
        "PRAGMA table_info(rs_probe)",
        "PRAGMA index_list(rs_probe)",
        "PRAGMA journal_mode",
        "EXPLAIN QUERY PLAN SELECT * FROM rs_probe",
        "EXPLAIN DELETE FROM rs_probe",
        vendors=("sqlite",),
    ),
    *writes(
        "PRAGMA user_version = 5",
        "REPLACE INTO rs_probe (id, name) VALUES (1, 'x')",
        "INSERT OR REPLACE INTO rs_probe (id, name) VALUES (1, 'x')",
        "ANALYZE",
        "VACUUM",
        vendors=("sqlite",),
    ),
    Entry(
        "BEGIN IMMEDIATE",
        True,
        ("sqlite",),
        policy="takes the write lock but changes nothing; atomic() sends it",
    ),
    Entry(
        "BEGIN EXCLUSIVE",
        True,
        ("sqlite",),
        policy="takes the write lock but changes nothing; atomic() sends it",
    ),
    # PostgreSQL and MariaDB.
    *reads(
        "SELECT * FROM rs_probe WHERE name IN ('a', 'b')",
        "(SELECT 1) UNION (SELECT 2)",
        "SELECT 1; SELECT 2",
        vendors=SERVERS,
    ),
    *writes(
        "SELECT * FROM rs_probe FOR UPDATE",
        "SELECT 1; DELETE FROM rs_probe",
        "TRUNCATE rs_probe",
        vendors=SERVERS,
    ),
    # PostgreSQL.
    *reads(
        "\nSELECT\n    c.relname\nFROM pg_class c\nWHERE c.relname = 'rs_probe'",
        "SHOW TimeZone",
        "TABLE rs_probe",
        "SET CONSTRAINTS ALL IMMEDIATE",
        "SET CONSTRAINTS ALL DEFERRED",
        "EXPLAIN DELETE FROM rs_probe",
        "SELECT E'\\'; DELETE FROM rs_probe; --'",
        "START TRANSACTION READ ONLY",
        "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
        "SELECT e'a\\'b'",
        "COMMIT",
        "ROLLBACK",
        vendors=("postgresql",),
    ),
    *writes(
        "SELECT * FROM rs_probe FOR SHARE",
        "SELECT * FROM rs_probe FOR NO KEY UPDATE",
        "SELECT * FROM rs_probe FOR KEY SHARE",
        "WITH d AS (DELETE FROM rs_probe RETURNING *) SELECT * FROM d",
        "SELECT nextval('rs_seq')",
        "SELECT setval('rs_seq', 5)",
        "SELECT * INTO rs_copy FROM rs_probe",
        "EXPLAIN ANALYZE DELETE FROM rs_probe",
        "SELECT 'a\\'; DELETE FROM rs_probe; -- '",
        vendors=("postgresql",),
    ),
    Entry(
        "SET default_transaction_read_only = off",
        False,
        ("postgresql",),
        policy="switches the database's own read-only mode off",
    ),
    Entry(
        "SELECT lo_create(0)",
        False,
        ("postgresql",),
        policy="large objects are written even in a read-only transaction",
    ),
    # MariaDB and MySQL.
    *reads(
        "SELECT 1 # trailing comment",
        "SELECT 1 INTO @x",
        "SELECT VERSION(), @@sql_mode",
        "SHOW TABLES",
        "DESCRIBE rs_probe",
        "SET foreign_key_checks = 0",
        "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "SELECT 'a\\'; DELETE FROM rs_probe; -- '",
        "SELECT `name` FROM `rs_probe`",
        "SELECT 1 --\tDELETE FROM rs_probe",
        "SELECT 'a\\'' FROM rs_probe",
        'SELECT "a\\"b"',
        vendors=("mysql",),
    ),
    *writes(
        "SELECT 1--1; DELETE FROM rs_probe",
        "REPLACE INTO rs_probe (id, name) VALUES (1, 'x')",
        vendors=("mysql",),
    ),
    Entry(
        "SELECT * FROM rs_probe LOCK IN SHARE MODE",
        False,
        ("mysql",),
        policy="a row lock, refused as a write like FOR UPDATE",
    ),
    Entry(
        "SET SESSION TRANSACTION READ WRITE",
        False,
        ("mysql",),
        policy="switches the database's own read-only mode off",
    ),
]
