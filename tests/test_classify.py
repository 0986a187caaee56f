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


def test_the_corpus_is_broad() -> None:
    pairs = [(entry.sql, vendor) for entry in CORPUS for vendor in entry.vendors]
    assert len(pairs) == len(set(pairs)), "an entry is listed twice"
    assert len({entry.sql for entry in CORPUS}) >= 300
    for vendor in ALL:
        labels = [entry.read for entry in CORPUS if vendor in entry.vendors]
        assert labels.count(True) >= 100
        assert labels.count(False) >= 80
    assert all(entry.policy for entry in CORPUS if not entry.run)


@pytest.mark.parametrize(
    ("sql", "vendor"),
    [
        ("", "sqlite"),
        (" ; ", "postgresql"),
        ("-- only a comment", "mysql"),
        ("SELECT 'unterminated", "sqlite"),
        ('SELECT "unterminated', "postgresql"),
        ("SELECT [unterminated", "sqlite"),
        ("SELECT `unterminated", "mysql"),
        ("SELECT 1 /* unterminated", "sqlite"),
        ("SELECT 1 /* a /* nested */", "postgresql"),
        ("SELECT $$unterminated", "postgresql"),
        ("/*!50000 SELECT 1", "mysql"),
        ("SELECT `a\\`, 1; DELETE FROM t -- `", "mysql"),
        ("SELECT @'unterminated", "mysql"),
        ("PRAGMA", "sqlite"),
        ("PRAGMA optimize", "sqlite"),
        ("PRAGMA wal_checkpoint(TRUNCATE)", "sqlite"),
        ("PRAGMA journal_mode = WAL", "sqlite"),
        ("PRAGMA table_info(t)", "postgresql"),
        ("SET x = 1", "sqlite"),
        ("SET GLOBAL x = 1", "mysql"),
        ("SET STATEMENT max_statement_time = 1", "mysql"),
        ("SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE", "mysql"),
        ("SELECT 1 INTO @x", "postgresql"),
        ("SELECT lo_get(5)", "postgresql"),
        ("SELECT set_config(%s, 'off', false)", "postgresql"),
        ("SELECT set_config(", "postgresql"),
        ("SELECT 1 -- ; \n; DELETE FROM t", "postgresql"),
        ("((", "sqlite"),
        ("(", "sqlite"),
        ("START SLAVE", "mysql"),
        ("START", "postgresql"),
        ("BEGIN NOT ATOMIC SELECT 1; END", "mysql"),
        ("COMMIT PREPARED 'x'", "postgresql"),
        ("ROLLBACK AND NO WAIT", "postgresql"),
        ("ANALYZE", "mysql"),
        ("ANALYZE TABLE t", "mysql"),
        ("DECLARE c CURSOR", "postgresql"),
        ("DECLARE c FOR SELECT 1", "postgresql"),
        ("DECLARE c CURSOR FOR SELECT 1", "mysql"),
        ("FETCH NEXT FROM c", "sqlite"),
        ("EXPLAIN ANALYZE", "postgresql"),
        ("EXPLAIN (ANALYZE", "postgresql"),
        ("LISTEN channel", "postgresql"),
        ("LOCK TABLE t", "postgresql"),
        ("COPY t TO '/tmp/file'", "postgresql"),
        ("COPY t TO PROGRAM 'cat'", "postgresql"),
        ("COPY (SELECT 1) TO STDOUT; DELETE FROM t", "postgresql"),
        ("COPY (SELECT 1", "postgresql"),
        ("GRANT ALL ON t TO u", "postgresql"),
        ("CALL p()", "mysql"),
    ],
)
def test_refuses_what_it_cannot_prove(sql: str, vendor: str) -> None:
    # Claims about the classifier only: some of these are reads to a database.
    assert is_read(sql, vendor) is False


def test_verdicts_are_cached_within_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    from readonly_scopes import classify

    monkeypatch.setattr(classify, "verdicts", {})
    monkeypatch.setattr(classify, "CACHE_LIMIT", 3)
    for number in range(5):
        assert is_read(f"SELECT {number}", "sqlite")
    assert len(classify.verdicts["sqlite"]) <= 3
    assert is_read("SELECT 4", "sqlite")
    long_statement = "SELECT " + ", ".join(["1"] * 2000)
    assert is_read(long_statement, "sqlite")
    assert long_statement not in classify.verdicts["sqlite"]


# What the databases themselves say.


class Refused(Exception):
    """The database refused the statement in its read-only mode."""


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


def refuses(connection: Any, entry: Entry) -> bool:
    """Run ``entry`` in the database's own read-only mode; nothing it does stays."""
    vendor = connection.vendor
    cursor = connection.create_cursor()
    begin, end = READ_ONLY_MODES[vendor]
    for statement in begin:
        cursor.execute(statement)
    try:
        for statement in entry.setup:
            run_statement(cursor, vendor, statement, None)
        run_statement(cursor, vendor, entry.sql, entry.params)
    except Exception as error:
        if not is_refusal(vendor, error):
            raise AssertionError(f"{entry.sql!r} failed: {error!r}") from error
        return True
    finally:
        for statement in end:
            cursor.execute(statement)
        if vendor == "sqlite" and connection.connection.in_transaction:
            cursor.execute("ROLLBACK")
        cursor.close()
    return False


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


def is_refusal(vendor: str, error: Exception) -> bool:
    if vendor == "sqlite":
        return "readonly database" in str(error)
    if vendor == "postgresql":
        return getattr(error, "sqlstate", None) == "25006"
    return error.args[:1] == (1792,)


@pytest.fixture
def probe(alias: str) -> Iterator[Any]:
    connection = connections[alias]
    created = [
        (
            "TABLE rs_probe",
            "CREATE TABLE rs_probe (id integer PRIMARY KEY, name varchar(50))",
        ),
        ("TABLE rs_other", "CREATE TABLE rs_other (id integer PRIMARY KEY)"),
    ]
    if connection.vendor != "sqlite":
        created.append(("SEQUENCE rs_seq", "CREATE SEQUENCE rs_seq"))
    with connection.cursor() as cursor:
        for _, statement in created:
            cursor.execute(statement)
        cursor.execute("INSERT INTO rs_probe (id, name) VALUES (7, 'seven')")
    yield connection
    with connection.cursor() as cursor:
        for kind, _ in created:
            cursor.execute(f"DROP {kind}")


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_labels_agree_with_the_database(probe: Any) -> None:
    vendor = probe.vendor
    disagreements = []
    for entry in CORPUS:
        if vendor not in entry.vendors or not entry.run:
            continue
        database_reads = not refuses(probe, entry)
        expected = entry.read if not entry.policy else not entry.read
        if database_reads is not expected:
            disagreements.append((entry.sql, entry.read, entry.policy))
    assert not disagreements, "\n".join(map(repr, disagreements))
    with probe.cursor() as cursor:
        cursor.execute("SELECT id, name FROM rs_probe")
        assert list(cursor.fetchall()) == [(7, "seven")]
