"""
The backstop under Django's own request handling: Django's WSGI handler, with
its request_started/request_finished signals (the test client turns off the
connection handling they do), the live-site middleware, persistent and pooled
connections, and connections the server drops.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from wsgiref.util import setup_testing_defaults

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import override_settings

from readonly_scopes.backstop.modes import PostgreSQLMode
from readonly_scopes.switch import SWITCH

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

HANDLER = WSGIHandler()


def get(path: str) -> tuple[int, bytes]:
    """One request through Django's WSGI handler, as a WSGI server sends it."""
    environ: dict[str, Any] = {"PATH_INFO": path, "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)
        return None

    response = HANDLER(environ, start_response)
    try:
        body = b"".join(response)
    finally:
        response.close()  # request_finished: Django's connection handling.
    return int(statuses[0].split()[0]), body


@pytest.fixture
def persistent(postgresql: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The PostgreSQL alias with persistent, health-checked connections."""
    connection = connections[postgresql]
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    connection.close()
    with override_settings(DJANGO_READ_ONLY_ENFORCE=[postgresql]):
        yield postgresql
    SWITCH.turn_off()
    connection.close()


def terminate(connection: BaseDatabaseWrapper) -> None:
    """Have the server end the connection's session, as a failover or restart does."""
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()
        deadline = time.monotonic() + 10
        while admin.execute(
            "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]
        ).fetchone():
            assert time.monotonic() < deadline, "the backend did not go away"
            time.sleep(0.01)


@pytest.mark.parametrize("turned_on", ["before", "after"])
def test_a_connection_the_server_ended_is_recovered_as_django_does(
    persistent: str, turned_on: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = connections[persistent]
    switched: list[object] = []
    switch = PostgreSQLMode.switch

    def spy(mode: PostgreSQLMode, read_only: bool) -> None:
        switched.append(mode.connection.connection)
        switch(mode, read_only)

    monkeypatch.setattr(PostgreSQLMode, "switch", spy)
    if turned_on == "before":
        SWITCH.turn_on(None)
    status, body = get(f"/mode/{persistent}/")
    assert status == 200
    assert json.loads(body)["after"] is (turned_on == "before")
    first = connection.connection
    terminate(connection)
    SWITCH.turn_on(None)
    switched.clear()

    status, body = get(f"/mode/{persistent}/")

    assert status == 200, body
    assert json.loads(body) == {"scope_read_only": True, "before": True, "after": True}
    assert connection.connection is not first  # Django reconnected.
    # Django's health check came first: nothing was sent on the dead one.
    assert first not in switched


def test_a_view_that_copes_with_a_lost_connection_is_not_failed_by_the_scope(
    persistent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without health checks, the scope's switch is the first to find out.
    connection = connections[persistent]
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", False)
    assert get(f"/mode/{persistent}/")[0] == 200
    terminate(connection)
    SWITCH.turn_on(None)

    assert get(f"/fallback/{persistent}/") == (200, b"fallback")
    # Django's usual recovery: closed at the end of that request.
    assert connection.connection is None
    status, body = get(f"/mode/{persistent}/")
    assert status == 200
    assert json.loads(body)["before"] is True


@pytest.fixture
def pool(postgresql: str) -> Iterator[str]:
    alias = "postgresql_pool"
    with override_settings(DJANGO_READ_ONLY_ENFORCE=[alias]):
        yield alias
    SWITCH.turn_off()
    pooled: Any = connections[alias]
    pooled.close_pool()


def test_the_pool_never_runs_a_request_in_the_wrong_mode(pool: str) -> None:
    """
    Threads take the pool's two connections in turn while the switch flips:
    each request finds the database in its own mode, before and after its
    first query through Django.
    """
    stop = threading.Event()

    def flip() -> None:
        while not stop.is_set():
            SWITCH.turn_on(None)
            time.sleep(0.005)
            SWITCH.turn_off()
            time.sleep(0.005)

    def request(number: int) -> dict[str, bool]:
        try:
            status, body = get(f"/mode/{pool}/")
            assert status == 200, body
            result: dict[str, bool] = json.loads(body)
            return result
        finally:
            connections.close_all()

    flipper = threading.Thread(target=flip)
    flipper.start()
    try:
        with ThreadPoolExecutor(6) as executor:
            results = list(executor.map(request, range(300)))
    finally:
        stop.set()
        flipper.join()
    wrong = [
        result
        for result in results
        if result["after"] is not result["scope_read_only"]
        or (result["scope_read_only"] and not result["before"])
    ]
    assert wrong == []
    modes = {result["scope_read_only"] for result in results}
    assert modes == {True, False}, "the switch never flipped under load"
