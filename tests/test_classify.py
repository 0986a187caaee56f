from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from readonly_scopes.classify import is_read
from tests.sql_corpus import ALL, CORPUS, Entry


@pytest.mark.parametrize("vendor", ALL)
def test_classifier_agrees_with_every_label(vendor: str) -> None:
    wrong = [
        (entry.sql, entry.read)
        for entry in CORPUS
        if vendor in entry.vendors and is_read(entry.sql, vendor) is not entry.read
    ]
    assert wrong == []


def test_the_corpus_is_not_trivial() -> None:
    for vendor in ALL:
        labels = [entry.read for entry in CORPUS if vendor in entry.vendors]
        assert labels.count(True) >= 15
        assert labels.count(False) >= 10


@pytest.mark.parametrize(
    ("sql", "vendor"),
    [
        ("", "sqlite"),
        (" ; ", "postgresql"),
        ("SELECT 'unterminated", "sqlite"),
        ('SELECT "unterminated', "postgresql"),
        ("SELECT [unterminated", "sqlite"),
        ("SELECT 1 /* unterminated", "sqlite"),
        ("SELECT 1 /* a /* nested */ */", "postgresql"),
        ("/*!50000 DELETE FROM t */ SELECT 1", "mysql"),
        ("SELECT $$x$$", "postgresql"),
        ("SELECT `a\\`, 1; DELETE FROM t -- `", "mysql"),
        ("PRAGMA", "sqlite"),
        ("PRAGMA journal_mode = WAL", "sqlite"),
        ("PRAGMA table_info(t)", "postgresql"),
        ("SET NAMES utf8", "mysql"),
        ("SET GLOBAL x = 1", "mysql"),
        ("SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE", "mysql"),
        ("START TRANSACTION READ WRITE", "mysql"),
        ("SELECT 1 INTO OUTFILE '/tmp/x'", "mysql"),
        ("SELECT 1 INTO @x", "postgresql"),
        ("SELECT lo_unlink(5)", "postgresql"),
        (
            "SELECT set_config('default_transaction_read_only', 'off', false)",
            "postgresql",
        ),
        ("SELECT 1 -- ; \n; DELETE FROM t", "postgresql"),
        ("((", "sqlite"),
        ("GRANT ALL ON t TO u", "postgresql"),
    ],
)
def test_refuses_what_it_cannot_prove(sql: str, vendor: str) -> None:
    # Claims about the classifier only: some of these are reads to the database.
    assert is_read(sql, vendor) is False


# What the databases themselves say.


def sqlite_refuses(raw: Any, entry: Entry) -> bool:
    import sqlite3

    raw.execute("PRAGMA query_only = 1")
    try:
        for statement in (*entry.setup, entry.sql):
            raw.execute(statement)
    except sqlite3.OperationalError as error:
        if "readonly database" not in str(error):
            raise
        return True
    finally:
        raw.execute("PRAGMA query_only = 0")
        if raw.in_transaction:
            raw.execute("ROLLBACK")
    return False


def postgresql_refuses(raw: Any, entry: Entry) -> bool:
    from psycopg import errors

    with raw.cursor() as cursor:
        cursor.execute("BEGIN READ ONLY")
        try:
            for statement in (*entry.setup, entry.sql):
                cursor.execute(statement)
        except errors.ReadOnlySqlTransaction:
            return True
        finally:
            cursor.execute("ROLLBACK")
    return False


def mysql_refuses(raw: Any, entry: Entry) -> bool:
    import MySQLdb

    cursor = raw.cursor()
    # The session flag, not START TRANSACTION READ ONLY alone: statements that
    # commit implicitly (DDL) would otherwise run read-write.
    cursor.execute("SET SESSION TRANSACTION READ ONLY")
    cursor.execute("START TRANSACTION")
    try:
        for statement in (*entry.setup, entry.sql):
            cursor.execute(statement)
            while cursor.nextset():
                pass
    except MySQLdb.OperationalError as error:
        if error.args[0] != 1792:
            raise
        return True
    finally:
        cursor.execute("ROLLBACK")
        cursor.execute("SET SESSION TRANSACTION READ WRITE")
        cursor.close()
    return False


REFUSES = {
    "sqlite": sqlite_refuses,
    "postgresql": postgresql_refuses,
    "mysql": mysql_refuses,
}


@pytest.fixture
def probe(alias: str) -> Iterator[Any]:
    connection = connections[alias]
    setup = ["CREATE TABLE rs_probe (id integer PRIMARY KEY, name varchar(50))"]
    setup.append("INSERT INTO rs_probe (id, name) VALUES (7, 'seven')")
    if connection.vendor == "postgresql":
        setup.append("CREATE SEQUENCE rs_seq")
    with connection.cursor() as cursor:
        for statement in setup:
            cursor.execute(statement)
    connection.ensure_connection()
    yield connection
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE rs_probe")
        if connection.vendor == "postgresql":
            cursor.execute("DROP SEQUENCE rs_seq")


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_labels_agree_with_the_database(probe: Any) -> None:
    vendor = probe.vendor
    refuses = REFUSES[vendor]
    disagreements = []
    for entry in CORPUS:
        if vendor not in entry.vendors:
            continue
        database_reads = not refuses(probe.connection, entry)
        expected = entry.read if not entry.policy else not entry.read
        if database_reads is not expected:
            disagreements.append((entry.sql, entry.read, entry.policy))
    assert disagreements == []
    with probe.cursor() as cursor:
        cursor.execute("SELECT id, name FROM rs_probe")
        assert list(cursor.fetchall()) == [(7, "seven")]
