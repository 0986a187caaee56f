from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from readonly_scopes.backstop import reload_coverage
from readonly_scopes.console import MAGIC
from readonly_scopes.flag import load_flag
from readonly_scopes.state import FLAG
from readonly_scopes.switch import SWITCH

# pytest's own fixture for running pytest, for the plugin's tests.
pytest_plugins = ["pytester"]

BACKENDS = {
    "sqlite": ("default", None),
    "postgresql": ("postgresql", "POSTGRES_HOST"),
    "mariadb": ("mariadb", "MARIADB_HOST"),
}


@pytest.fixture(autouse=True)
def _fresh_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("DJANGO_READ_ONLY", raising=False)
    load_flag()
    yield
    # Before the database fixtures tear down: flushing tables is a write.
    FLAG.set(False, "the test suite")
    MAGIC.loaded = False
    # A shell test may have turned the backstop on for the process.
    reload_coverage()
    SWITCH.turn_off()


def configured_alias(backend: str) -> str:
    """
    The alias of a backend, skipping the test when it is not configured, or
    failing it when READONLY_SCOPES_REQUIRE_BACKENDS is set (as in CI).
    """
    alias, variable = BACKENDS[backend]
    if alias not in settings.DATABASES:
        message = f"{backend} is not configured: set {variable} to test it."
        if os.environ.get("READONLY_SCOPES_REQUIRE_BACKENDS"):
            pytest.fail(message)
        pytest.skip(message)
    return alias


def configured_service(name: str) -> str:
    """The address of a service the tests use (Redis: REDIS_URL), as above."""
    variable = {"redis": "REDIS_URL"}[name]
    address = os.environ.get(variable)
    if not address:
        message = f"{name} is not configured: set {variable} to test with it."
        if os.environ.get("READONLY_SCOPES_REQUIRE_BACKENDS"):
            pytest.fail(message)
        pytest.skip(message)
    return address


@pytest.fixture(params=list(BACKENDS))
def alias(request: pytest.FixtureRequest) -> str:
    """Each backend in turn."""
    return configured_alias(request.param)


@pytest.fixture
def postgresql() -> str:
    return configured_alias("postgresql")


def beside(alias: str) -> str:
    """Another configured database than ``alias``, for per-database scopes."""
    return configured_alias("postgresql") if alias == "default" else "default"


@pytest.fixture
def other_alias() -> str:
    """A second database beside "default"."""
    return beside("default")


@pytest.fixture
def probe(alias: str) -> Iterator[Any]:
    """A connection with the tables the SQL corpus uses."""
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
