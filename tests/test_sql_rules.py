"""
The lexer rules and meanings one at a time, where the databases cannot be
asked (texts they refuse as syntax errors, settings they would apply, names
they would not know), and the pieces around them: readings, the verdict
cache, the per-connection record and the messages.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest
from django.db import connections, transaction

from readonly_scopes import ReadOnlyError, read_only
from readonly_scopes.sql import verdicts
from readonly_scopes.sql.classify import classify
from readonly_scopes.sql.dialects import readings, split_statements
from readonly_scopes.sql.lexing import Reading, Unreadable
from readonly_scopes.sql.sessions import Session, session_for
from readonly_scopes.sql.targets import write_target
from readonly_scopes.sql.verdicts import is_read, why_blocked

ESCAPES = Reading(backslash_escapes=True, double_quote_escapes=True)


@pytest.mark.parametrize(
    ("sql", "vendor", "reading", "tokens"),
    [
        # PostgreSQL: names, numbers, quotes.
        ("select Nèxt", "postgresql", Reading(), [["SELECT", "NèXT"]]),
        ('SELECT "a""b"', "postgresql", Reading(), [["SELECT", '"a"b']]),
        ('SELECT U&"\\+000061"', "postgresql", Reading(), [["SELECT", '"a']]),
        ("SELECT U&'a\\\\b'", "postgresql", Reading(), [["SELECT", "'a\\b"]]),
        ("SELECT $1 % 2", "postgresql", Reading(), [["SELECT", "?", "%", "2"]]),
        (
            "SELECT %s %% 2",
            "postgresql",
            Reading(with_params=True),
            [["SELECT", "?", "%", "2"]],
        ),
        (
            "SELECT 1 /* a */ /* b /* c */ */",
            "postgresql",
            Reading(),
            [["SELECT", "1"]],
        ),
        ("SELECT 'a\\'b'", "postgresql", ESCAPES, [["SELECT", "'a\\'b"]]),
        # MySQL: variables, backticks, "*/" outside a comment.
        (
            "SELECT @`a b`, @@session . x",
            "mysql",
            ESCAPES,
            [["SELECT", "@A B", ",", "@@SESSION", ".", "X"]],
        ),
        ("SELECT 2 */ 1", "mysql", ESCAPES, [["SELECT", "2", "*", "/", "1"]]),
        (
            "SELECT 1 /*!99999 +1 */",
            "mysql",
            Reading(server_version=99999),
            [["SELECT", "1", "+", "1"]],
        ),
        ("SELECT 1 /*M! +1 */", "mysql", Reading(mariadb=False), [["SELECT", "1"]]),
        (
            "SELECT 1 /*!99999 /* /* */ */ + 2",
            "mysql",
            Reading(server_version=0),
            [["SELECT", "1", "+", "2"]],
        ),
        ("SELECT 1 /* %% */", "mysql", Reading(with_params=True), [["SELECT", "1"]]),
        ("SELECT 1 -- %%\n", "mysql", Reading(with_params=True), [["SELECT", "1"]]),
        # SQLite: variables with suffixes, brackets, placeholders.
        (
            "SELECT $a::b(c), :d, @e, ?1",
            "sqlite",
            Reading(),
            [["SELECT", "?", ",", "?", ",", "?", ",", "?"]],
        ),
        (
            "SELECT %s, %(x)s, 5 %% 2",
            "sqlite",
            Reading(with_params=True),
            [["SELECT", "?", ",", "?", ",", "5", "%", "2"]],
        ),
        ("SELECT %s", "sqlite", Reading(), [["SELECT", "%", "S"]]),
    ],
)
def test_tokens(
    sql: str, vendor: str, reading: Reading, tokens: list[list[str]]
) -> None:
    assert split_statements(sql, vendor, reading) == tokens


@pytest.mark.parametrize(
    ("sql", "vendor", "reading"),
    [
        ("SELECT 1\x00", "sqlite", Reading()),
        ("SELECT 1", "oracle", Reading()),
        ('SELECT ""', "postgresql", Reading()),
        ("SELECT 1.x", "postgresql", Reading()),
        ("SELECT $1a", "postgresql", Reading()),
        ("SELECT U&'\\00'", "postgresql", Reading()),
        ("SELECT U&'\\0000'", "postgresql", Reading()),
        ("SELECT U&'\\D800'", "postgresql", Reading()),
        ("SELECT U&'x' UESCAPE 'a'", "postgresql", Reading()),
        ("SELECT U&'x' UESCAPE", "postgresql", Reading()),
        ("SELECT 'x' /* c", "postgresql", Reading()),
        ("SELECT 1 /* a /* b */", "postgresql", Reading()),
        ("SELECT $a$ $a", "postgresql", Reading()),
        ("SELECT '%s'", "postgresql", Reading(with_params=True)),
        ('SELECT "%s"', "postgresql", Reading(with_params=True)),
        ("SELECT $$%s$$", "postgresql", Reading(with_params=True)),
        ("SELECT 1 -- %s", "postgresql", Reading(with_params=True)),
        ("SELECT 1 /* %s */", "postgresql", Reading(with_params=True)),
        ("SELECT 5 % 2", "postgresql", Reading(with_params=True)),
        ("SELECT 1.5e", "mysql", Reading()),
        ("SELECT 1 /*! /*! 1 */ */", "mysql", Reading()),
        ("SELECT 1 /*!1234 +1 */", "mysql", Reading()),
        ("SELECT 1 /*!99999 +1", "mysql", Reading()),
        ("SELECT 1 /*!99999 +1", "mysql", Reading(server_version=0)),
        ("SELECT 1 /*! +1", "mysql", Reading()),
        ("SELECT 1 /*! ; */", "mysql", Reading()),
        ("SELECT 1 /* x", "mysql", Reading()),
        ("SELECT X'4g'", "mysql", Reading()),
        ("SELECT @'x", "mysql", Reading()),
        ("SELECT `%s`", "mysql", Reading(with_params=True)),
        ("SELECT 1 /* %s */", "mysql", Reading(with_params=True)),
        ("SELECT 1x", "sqlite", Reading()),
        ("SELECT 'x", "sqlite", Reading()),
        ("SELECT [x", "sqlite", Reading()),
        ("SELECT X'4'", "sqlite", Reading()),
        ("SELECT $", "sqlite", Reading()),
        ("SELECT $a(b c)", "sqlite", Reading()),
    ],
)
def test_unreadable(sql: str, vendor: str, reading: Reading) -> None:
    with pytest.raises(Unreadable):
        split_statements(sql, vendor, reading)


def test_readings() -> None:
    assert readings("SELECT 1", "mysql", False) == [Reading(True, True)]
    assert len(readings("SELECT '\\' \"x\"", "mysql", False)) == 3
    # Versions Django's oldest servers have reached need no second reading.
    assert len(readings("/*!50000 SELECT 1 */", "mysql", False)) == 1
    assert [r.server_version for r in readings("/*!90000 1 */", "mysql", False)] == [
        89999,
        90000,
    ]
    assert len(readings("/*M! 1 */", "mysql", False)) == 2
    many = " ".join(f"/*!9000{digit} 1 */" for digit in range(4))
    with pytest.raises(Unreadable):
        readings(many, "mysql", False)
    assert readings("SELECT '\\'", "postgresql", True) == [
        Reading(False, False, True),
        Reading(True, False, True),
    ]


@pytest.mark.parametrize(
    ("sql", "vendor"),
    [
        # Meanings that would change a setting or need names the database
        # would not know, so they are not in the corpus.
        ("SELECT f(1)", "oracle"),
        ("SELECT set_config(name => 'x', 'y', false)", "postgresql"),
        ("SELECT set_config(E'search\\_path', 'y', false)", "postgresql"),
        ("SELECT set_config('x')", "postgresql"),
        ("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", "postgresql"),
        ("SET LOCAL transaction_read_only TO on", "postgresql"),
        ("SET @a = 1, tx_read_only = 1", "mysql"),
        ("SET @a = (1, 2), @@session.tx_read_only = 1", "mysql"),
        ("SET STATEMENT tx_read_only = 0 FOR SELECT 1", "mysql"),
        ("SET STATEMENT x = NEXTVAL(s) FOR SELECT 1", "mysql"),
        ("SET @x = 1 FOR SELECT 1", "sqlite"),
        ("RESET ALL", "postgresql"),
        ("EXPLAIN", "postgresql"),
        ("EXPLAIN (ANALYZE", "postgresql"),
        ("EXPLAIN ANALYZE", "postgresql"),
        ("EXPLAIN EXTENDED", "mysql"),
        ("EXPLAIN QUERY PLAN", "sqlite"),
        ("EXPLAIN PRAGMA query_only = 0", "sqlite"),
        ("ANALYZE TABLE t", "mysql"),
        ("ANALYZE", "mysql"),
        ("COPY t FROM STDIN TO STDOUT", "postgresql"),
        ("COPY (SELECT 1 TO STDOUT", "postgresql"),
        ("COPY t (a) TO 'file'", "postgresql"),
        ("DECLARE", "postgresql"),
        ("DECLARE 'c' CURSOR FOR SELECT 1", "postgresql"),
        ("DECLARE c SCROLL FOR SELECT 1", "postgresql"),
        ("DECLARE c CURSOR WITH HOLD", "postgresql"),
        ("FETCH", "postgresql"),
        ("FETCH NEXT", "postgresql"),
        ("FETCH 'c'", "postgresql"),
        ("FETCH SOMEWHERE c", "postgresql"),
        ("CLOSE", "postgresql"),
        ("CLOSE 'c'", "postgresql"),
        ("PREPARE", "postgresql"),
        ("PREPARE 'p' AS SELECT 1", "postgresql"),
        ("PREPARE TRANSACTION 'x'", "postgresql"),
        ("PREPARE p (int AS SELECT 1", "postgresql"),
        ("PREPARE p SELECT 1", "postgresql"),
        ("PREPARE p AS", "postgresql"),
        ("EXECUTE", "postgresql"),
        ("EXECUTE 'p'", "postgresql"),
        ("DEALLOCATE", "postgresql"),
        ("DEALLOCATE 'p'", "postgresql"),
        ("DISCARD ALL", "postgresql"),
        ("DISCARD TEMP", "postgresql"),
        ("PREPARE p", "mysql"),
        ("PREPARE 'p' FROM 'SELECT 1'", "mysql"),
        ("EXECUTE", "mysql"),
        ("EXECUTE 'p'", "mysql"),
        ("EXECUTE IMMEDIATE 'SELECT 1'", "mysql"),
        ("DROP TABLE t", "mysql"),
        ("DO", "mysql"),
        ("CHECK TABLE t FOR UPGRADE", "mysql"),
        ("CHECKSUM t", "mysql"),
        ("SHOW TABLES", "sqlite"),
        ("PRAGMA main.", "sqlite"),
        ("PRAGMA query_only = 2", "sqlite"),
        ("PRAGMA query_only = -1", "sqlite"),
        ("PRAGMA optimize", "sqlite"),
        ("BEGIN NOT DEFERRED", "postgresql"),
        ("SELECT 1; UPDATE t SET x = 1", "sqlite"),
        ("WITH d AS (SELECT 1) UPDATE t SET x = 1", "sqlite"),
        ("SELECT 1 INTO x", "mysql"),
        ("SELECT * FROM t FOR NO KEY UPDATE", "postgresql"),
    ],
)
def test_not_shown_to_read(sql: str, vendor: str) -> None:
    assert is_read(sql, vendor) is False


@pytest.mark.parametrize(
    ("sql", "vendor"),
    [
        ("SELECT 'a' || @x FROM t", "mysql"),
        ("SELECT @a (1)", "mysql"),
        ("SELECT f(?)", "sqlite"),
        ("SELECT set_config('search_path', 'public', false)", "postgresql"),
        ("SET x.y TO 'read_only'", "postgresql"),
        ("SET SESSION x = 1, y = 2", "postgresql"),
        ("SET @a = 1, @b = (SELECT 2)", "mysql"),
        ("SET STATEMENT a = 1, b = 2 FOR SELECT 1", "mysql"),
        ("EXPLAIN VERBOSE DELETE FROM t", "postgresql"),
        ("EXPLAIN ANALYZE VERBOSE SELECT 1", "postgresql"),
        ('EXPLAIN (COSTS, ANALYZE "off") DELETE FROM t', "postgresql"),
        ("EXPLAIN PARTITIONS SELECT 1", "mysql"),
        ("EXPLAIN FOR CONNECTION 1", "mysql"),
        ("DESC t", "mysql"),
        ("EXPLAIN QUERY PLAN SELECT 1", "sqlite"),
        ("EXPLAIN QUERY PLAN PRAGMA table_info(t)", "sqlite"),
        ("COPY t (a, b) TO STDOUT", "postgresql"),
        ("CLOSE ALL", "postgresql"),
        ('CLOSE "C"', "postgresql"),
        ("DEALLOCATE p", "mysql"),
        ("PREPARE p FROM @sql", "mysql"),
        ("PREPARE p FROM 'SELECT ''x'''", "mysql"),
        ("PREPARE p FROM 'SELECT 1; SELECT 2'", "mysql"),
        ("PREPARE p FROM 'SELECT `x'", "mysql"),
        ("PREPARE p (int) AS SELECT $1", "postgresql"),
        ("PREPARE p AS (SELECT 1)", "postgresql"),
        ("PREPARE p AS PREPARE q AS SELECT 1", "postgresql"),
        ("PRAGMA schema.temp_store", "sqlite"),
        ('PRAGMA "threads" = 4', "sqlite"),
        ("PRAGMA query_only = 'yes'", "sqlite"),
        ("ROLLBACK TO SAVEPOINT s", "sqlite"),
        ("(((((SELECT 1)))))", "postgresql"),
    ],
)
def test_reads(sql: str, vendor: str) -> None:
    assert is_read(sql, vendor) is True


def test_cursors_and_prepared_statements_per_connection() -> None:
    session = Session()
    assert not is_read("FETCH ALL FROM c", "postgresql", False, session)
    assert "not seen declared" in why_blocked("MOVE c", "postgresql", False, session)
    assert is_read("DECLARE c CURSOR FOR SELECT 1", "postgresql", False, session)
    assert is_read("FETCH FORWARD 5 FROM C", "postgresql", False, session)
    assert not is_read('FETCH "C"', "postgresql", False, session)
    assert is_read("CLOSE c", "postgresql", False, session)
    assert not is_read("FETCH c", "postgresql", False, session)
    # A cursor over a write is refused, so nothing is remembered.
    assert not is_read(
        "DECLARE d CURSOR FOR SELECT * FROM t FOR UPDATE", "postgresql", False, session
    )
    assert not is_read("FETCH d", "postgresql", False, session)

    assert not is_read("EXECUTE p", "postgresql", False, session)
    assert "not seen prepared" in why_blocked("EXECUTE p", "postgresql", False, session)
    assert is_read("PREPARE p AS SELECT 1", "postgresql", False, session)
    assert is_read("EXECUTE p", "postgresql", False, session)
    assert not is_read("EXECUTE p (nextval('s'))", "postgresql", False, session)
    # Prepared again over a write: forgotten.
    assert is_read("PREPARE p AS DELETE FROM t", "postgresql", False, session)
    assert not is_read("EXECUTE p", "postgresql", False, session)
    assert is_read(
        "PREPARE q AS SELECT 1; DEALLOCATE ALL", "postgresql", False, session
    )
    assert session.prepared == frozenset()

    mysql = Session()
    assert is_read("PREPARE s FROM 'SELECT 1'", "mysql", False, mysql)
    assert is_read("EXECUTE S USING @a", "mysql", False, mysql)
    assert not is_read("EXECUTE S USING NEXTVAL(q)", "mysql", False, mysql)
    assert is_read("DROP PREPARE s", "mysql", False, mysql)
    assert not is_read("EXECUTE s", "mysql", False, mysql)
    assert "not seen prepared" in why_blocked("EXECUTE s", "mysql", False, mysql)
    assert "as text" in why_blocked("EXECUTE IMMEDIATE 'x'", "mysql")

    # Several readings must all agree on what was declared.
    both = Session()
    assert is_read("DECLARE c CURSOR FOR SELECT E'\\\\'", "postgresql", False, both)
    assert both.cursors == frozenset({"c"})
    assert is_read("SELECT '\\\\'; CLOSE c", "postgresql", False, both)
    assert both.cursors == frozenset()


def test_session_statements_are_not_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verdicts, "verdicts", {})
    session = Session()
    is_read("DECLARE c CURSOR FOR SELECT 1", "postgresql", False, session)
    is_read("SELECT 1", "postgresql", False, session)
    assert list(verdicts.verdicts_for("postgresql")) == ["SELECT 1"]


def test_a_session_belongs_to_the_driver_connection() -> None:
    class Raw:
        pass

    first, second = SimpleNamespace(connection=Raw()), SimpleNamespace(connection=Raw())
    assert session_for(first) is session_for(first)
    assert session_for(first) is not session_for(second)
    # Reconnected: a new driver connection, a fresh record.
    before = session_for(first)
    first.connection = Raw()
    assert session_for(first) is not before
    # A driver connection that cannot be weakly referenced: nothing is kept.
    odd = SimpleNamespace(connection=object())
    assert session_for(odd) is not session_for(odd)


def test_why_blocked_names_functions() -> None:
    assert "runs SQL given as text" in why_blocked(
        "SELECT query_to_xml('SELECT 1', true, false, '')", "postgresql"
    )
    assert "session of its own" in why_blocked(
        "SELECT dblink('x', 'SELECT 1')", "postgresql"
    )
    assert why_blocked("DELETE FROM t", "postgresql") == ""


def test_long_texts_are_kept_by_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verdicts, "long_verdicts", {})
    monkeypatch.setattr(verdicts, "LONG_CACHE_LIMIT", 2)
    texts = [f"SELECT {number}, " + "1, " * 1000 + "1" for number in range(3)]
    for text in texts:
        assert is_read(text, "sqlite")
    assert len(verdicts.long_verdicts) <= 2
    assert is_read(texts[-1], "sqlite")
    assert not is_read("DELETE FROM t WHERE x IN (" + "1, " * 1000 + "1)", "sqlite")
    # Text with a lone surrogate is hashed too.
    assert not is_read("SELECT '\ud800" + "x" * 3000, "sqlite")


def test_no_depth_exhausts_the_stack() -> None:
    depth = sys.getrecursionlimit() * 2
    assert is_read("(" * depth + "SELECT 1" + ")" * depth, "postgresql")
    chain = "SET STATEMENT a = 1 FOR " * depth + "SELECT 1"
    assert is_read(chain, "mysql")
    assert not is_read(chain[:-8] + "DELETE FROM t", "mysql")
    explain = "EXPLAIN ANALYZE " * depth + "DELETE FROM t"
    assert not is_read(explain, "postgresql")
    nested = "WITH a AS (" * depth + "SELECT 1" + ") SELECT 1" * depth
    assert is_read(nested, "postgresql")
    comments = "SELECT 1 " + "/*" * depth + "*/" * depth
    assert is_read(comments, "postgresql")


def test_verdicts_name_their_reason() -> None:
    verdict = classify("FETCH c", "postgresql")
    assert (verdict.read, verdict.cacheable) == (False, False)
    assert classify("SELECT 1", "postgresql").cacheable


@pytest.mark.parametrize(
    ("sql", "vendor", "with_params", "target"),
    [
        ('UPDATE "Session" SET a = %s', "postgresql", True, "SESSION"),
        ("UPDATE s SET a = '%s'", "postgresql", True, None),
        ("UPDATE s SET a = '%s'", "postgresql", False, "S"),
        ("UPDATE s SET a = 'x\\'", "mysql", False, None),
        ("UPDATE s SET a = 'x\\\\'", "mysql", False, "S"),
        ("UPDATE s SET a = 1 /*", "mysql", False, None),
    ],
)
def test_write_targets(
    sql: str, vendor: str, with_params: bool, target: str | None
) -> None:
    assert write_target(sql, vendor, with_params) == target


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_guard_reads_per_call_and_per_connection(postgresql: str) -> None:
    connection = connections[postgresql]
    with (
        read_only(),
        transaction.atomic(using=postgresql),
        connection.cursor() as cursor,
    ):
        # Without parameters the driver sends %s as it is.
        cursor.execute("SELECT '%s'")
        assert cursor.fetchall() == [("%s",)]
        cursor.execute("DECLARE rs_seen CURSOR FOR SELECT 1")
        cursor.execute("FETCH ALL FROM rs_seen")
        assert cursor.fetchall() == [(1,)]
    with read_only(), connection.cursor() as cursor:
        with pytest.raises(ReadOnlyError, match="placeholder inside quotes"):
            cursor.execute("SELECT '%s'", [1])
        with pytest.raises(ReadOnlyError, match="not seen declared over a read"):
            cursor.execute("FETCH ALL FROM rs_unseen")


def test_verdicts_that_depend_on_parameters_are_kept_per_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(verdicts, "verdicts", {})
    assert is_read("SELECT '%s'", "postgresql", False)
    assert not is_read("SELECT '%s'", "postgresql", True)
    assert is_read("SELECT '%s'", "postgresql", False)
    either, without_params, with_params = verdicts.caches_for("postgresql")
    assert "SELECT '%s'" not in either
    assert without_params == {"SELECT '%s'": True}
    assert with_params == {"SELECT '%s'": False}
    # The same either way: where the guard looks first.
    assert is_read("SELECT %s", "postgresql", True)
    assert either == {"SELECT %s": True}
    # Without parameters a PREPARE, never cached; with them unreadable.
    assert not is_read("PREPARE p AS SELECT '%s'", "postgresql", True)
    assert with_params["PREPARE p AS SELECT '%s'"] is False
    monkeypatch.setattr(verdicts, "long_verdicts", {})
    long_fetch = "FETCH c" + " " * 3000
    assert not is_read(long_fetch, "postgresql", False, Session())
    assert verdicts.long_verdicts == {}
