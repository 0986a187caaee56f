"""
Differential fuzzing: whatever the guard calls a read among generated
statements (``tests/fuzz.py``), the database must run in its own read-only
mode. A fixed-seed batch runs in every test run; ``python3 dev.py fuzz
--minutes N`` searches with fresh seeds for N minutes and prints each
disagreement, minimised.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

import pytest

from readonly_scopes.sql.sessions import Session
from readonly_scopes.sql.verdicts import is_read
from tests.database_truth import READ_ONLY_MODES, refused
from tests.fuzz import Case, Generator, minimise

BATCH = 3000
SEED = 20261201


def run_case(connection: Any, case: Case) -> Exception | None:
    """
    Run a case in the database's read-only mode and return its error. Set-up
    and clean-up go through their own cursors; a connection the case left in
    a bad state (MariaDB's "commands out of sync") is closed and reopened.
    """
    vendor = connection.vendor
    connection.ensure_connection()
    begin, end = READ_ONLY_MODES[vendor]
    run_all(connection, begin)
    error = None
    try:
        cursor = connection.create_cursor()
        cursor.execute(case.sql, case.params)
        if vendor == "mysql":
            while cursor.nextset():
                pass
        cursor.close()
    except Exception as raised:
        error = raised
    try:
        run_all(connection, end)
        if vendor == "sqlite" and connection.connection.in_transaction:
            run_all(connection, ["ROLLBACK"])
    except Exception:
        connection.close()
    return error


def run_all(connection: Any, statements: list[str]) -> None:
    cursor = connection.connection.cursor()
    try:
        for statement in statements:
            cursor.execute(statement)
    finally:
        cursor.close()


def disagrees(connection: Any, case: Case) -> bool:
    """The guard calls it a read, and the database refuses it as a write."""
    if not is_read(case.sql, connection.vendor, case.with_params, Session()):
        return False
    error = run_case(connection, case)
    return error is not None and refused(connection.vendor, error)


def search(connection: Any, cases: Any) -> tuple[list[Case], int, int]:
    found, reads, total = [], 0, 0
    for case in cases:
        total += 1
        if not is_read(case.sql, connection.vendor, case.with_params, Session()):
            continue
        reads += 1
        if disagrees(connection, case):
            found.append(minimise(case, lambda trial: disagrees(connection, trial)))
    return found, reads, total


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_generated_reads_are_reads_to_the_database(probe: Any) -> None:
    minutes = float(os.environ.get("READONLY_SCOPES_FUZZ_MINUTES") or 0)
    if minutes:
        generator = Generator(probe.vendor, random.randrange(2**32))
        deadline = time.monotonic() + minutes * 60
        cases: Any = iter_until(generator, deadline)
    else:
        generator = Generator(probe.vendor, SEED)
        cases = (generator.case() for _ in range(BATCH))
    started = time.monotonic()
    found, reads, total = search(probe, cases)
    print(
        f"\n{probe.vendor}: {total} statements, {reads} read by the guard, "
        f"{len(found)} disagreements, {time.monotonic() - started:.1f} s"
    )
    for case in found:
        print(f"  disagreement (params: {case.params}): {case.sql!r}")
    assert not found
    # Both verdicts came up often, so the property was put to the test.
    assert reads >= total // 5
    assert total - reads >= total // 5
    with probe.cursor() as cursor:
        cursor.execute("SELECT id, name FROM rs_probe")
        assert list(cursor.fetchall()) == [(7, "seven")]


def iter_until(generator: Generator, deadline: float) -> Any:
    while time.monotonic() < deadline:
        yield generator.case()
