"""
Generated statements, built from the pieces the classifier must understand:
whenever it says "read", the database in its own read-only mode must agree.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readonly_scopes.sql.verdicts import is_read
from tests.database_truth import refused, run_read_only

STATEMENTS = {
    "common": [
        "SELECT 1",
        "SELECT name FROM rs_probe",
        "SELECT {literal} FROM rs_probe",
        "VALUES (1)",
        "WITH t AS (SELECT 1 AS x) SELECT x FROM t",
        "EXPLAIN SELECT 1",
        "DELETE FROM rs_probe",
        "INSERT INTO rs_probe (id, name) VALUES (9, {literal})",
        "UPDATE rs_probe SET name = {literal}",
        "CREATE TABLE rs_generated (x integer)",
        "SAVEPOINT g",
    ],
    "sqlite": [
        "PRAGMA table_info(rs_probe)",
        "PRAGMA user_version = 3",
        "PRAGMA foreign_key_check",
        "EXPLAIN QUERY PLAN DELETE FROM rs_probe",
        "REPLACE INTO rs_probe (id, name) VALUES (7, 'x')",
    ],
    "postgresql": [
        "SELECT * FROM rs_probe FOR UPDATE",
        "SELECT * FROM rs_probe FOR KEY SHARE",
        "SELECT nextval('rs_seq')",
        "EXPLAIN ANALYZE DELETE FROM rs_probe",
        "EXPLAIN (ANALYZE) SELECT 1",
        "WITH d AS (DELETE FROM rs_probe RETURNING *) SELECT * FROM d",
        "SELECT * INTO rs_generated FROM rs_probe",
        "TABLE rs_probe",
        "SHOW TimeZone",
        "DECLARE g CURSOR FOR SELECT {literal}",
        "SET CONSTRAINTS ALL IMMEDIATE",
    ],
    "mysql": [
        "SELECT * FROM rs_probe FOR UPDATE",
        "SELECT 1 INTO @g",
        "SELECT NEXTVAL(rs_seq)",
        "SHOW TABLES",
        "DESCRIBE rs_probe",
        "SET @g = {literal}",
        "SET foreign_key_checks = 1",
        "EXPLAIN DELETE FROM rs_probe",
        "ANALYZE SELECT 1",
    ],
}
LITERALS = {
    "common": [
        "'x'",
        "'it''s'",
        "'; DELETE FROM rs_probe; --'",
        "'/* DELETE */'",
        "'--'",
    ],
    "sqlite": ['"name"', "[name]"],
    "postgresql": [
        "$$; DELETE FROM rs_probe; $$",
        "$t$ $$ ; DELETE FROM rs_probe $t$",
        "E'\\'; DELETE FROM rs_probe; --'",
        '"name"',
    ],
    "mysql": [
        "'a\\'; DELETE FROM rs_probe; -- '",
        '"; DELETE FROM rs_probe; --"',
        "`name`",
    ],
}
GAPS = {
    "common": [
        " ",
        "\n",
        "\t",
        "\r\n",
        " /* ; DELETE FROM rs_probe */ ",
        " -- ; DELETE\n",
    ],
    "sqlite": [],
    "postgresql": [" /* /* ; DELETE FROM rs_probe */ */ "],
    "mysql": [" # ; DELETE\n", " /*! */ ", "/*!50000 */"],
}


def pieces(kind: dict[str, list[str]], vendor: str) -> list[str]:
    return kind["common"] + kind[vendor]


@st.composite
def statements(draw: st.DrawFn, vendor: str) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        template = draw(st.sampled_from(pieces(STATEMENTS, vendor)))
        statement = template.format(
            literal=draw(st.sampled_from(pieces(LITERALS, vendor)))
        )
        words = statement.split(" ")
        gaps = [draw(st.sampled_from(pieces(GAPS, vendor))) for _ in words]
        if draw(st.booleans()):
            words = [word.lower() if word.isupper() else word for word in words]
        parts.append(
            "".join(gap + word for gap, word in zip(gaps, words, strict=True)).strip()
        )
    separator = draw(st.sampled_from([";", "; ", ";\n", " ; "]))
    return separator.join(parts)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_generated_reads_are_reads_to_the_database(probe: Any) -> None:
    vendor = probe.vendor
    verdicts: list[bool] = []

    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
        ],
    )
    @given(sql=statements(vendor))
    def check(sql: str) -> None:
        verdicts.append(is_read(sql, vendor))
        if not verdicts[-1]:
            return
        error = run_read_only(probe, sql)
        assert error is None or not refused(vendor, error), sql

    check()
    # Both verdicts came up often, so the property was put to the test.
    assert verdicts.count(True) >= 20
    assert verdicts.count(False) >= 20
