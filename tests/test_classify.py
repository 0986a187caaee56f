from __future__ import annotations

from typing import Any

import pytest

from readonly_scopes.sql.sessions import Session
from readonly_scopes.sql.verdicts import is_read
from tests.database_truth import refused, run_read_only
from tests.sql_corpus import ALL, CORPUS, Entry


def guard_verdict(entry: Entry, vendor: str) -> bool:
    """The verdict on an entry after its set-up ran on the same connection."""
    session = Session()
    for statement in entry.setup:
        is_read(statement, vendor, False, session)
    return is_read(entry.sql, vendor, entry.params is not None, session)


@pytest.mark.parametrize("vendor", ALL)
def test_classifier_agrees_with_every_label(vendor: str) -> None:
    wrong = [
        (entry.sql, entry.read)
        for entry in CORPUS
        if vendor in entry.vendors and guard_verdict(entry, vendor) is not entry.read
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
        ("SELECT 1 /* unterminated", "mysql"),
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
        ("EXPLAIN (ANALYZE true DELETE FROM t", "postgresql"),
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
    from readonly_scopes.sql import verdicts

    monkeypatch.setattr(verdicts, "verdicts", {})
    monkeypatch.setattr(verdicts, "CACHE_LIMIT", 32)
    for number in range(40):
        assert is_read(f"SELECT {number}", "sqlite")
    cached = verdicts.verdicts["sqlite"][0]
    assert len(cached) <= 32
    # One in sixteen went at a time, starting with the oldest; the newest stayed.
    assert "SELECT 0" not in cached
    assert "SELECT 39" in cached
    assert is_read("SELECT 4", "sqlite")


# What the databases themselves say.


def refuses(connection: Any, entry: Entry) -> bool:
    error = run_read_only(connection, entry.sql, entry.params, entry.setup)
    if error is not None and not refused(connection.vendor, error):
        raise AssertionError(f"{entry.sql!r} failed: {error!r}") from error
    return error is not None


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
