"""
The switch as operators deploy it: a real Redis server that these tests start
on a port of their own (and restart, flush and stop), and Django's database
cache driven from an operator shell with DJANGO_READ_ONLY=1, each with a web
server in another process; and a broken exemption function in such a server.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from tests.test_live_site import Site

# Ports for the servers these tests start, away from the shared Redis.
PORTS = range(6391, 6400)
REFRESH = 0.2
LOST = "No record of the site read-only switch in cache 'default'"


class RedisServer:
    """A redis-server without persistence, as on machines that lose it all."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir()
        self.port = free_port_in(PORTS)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        until(self.answers, "redis-server did not start")

    def answers(self) -> bool:
        assert self.process is not None
        assert self.process.poll() is None
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.ConnectionError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()


def free_port_in(ports: range) -> int:
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError(f"no free port in {ports}")


def until(condition: Callable[[], bool], message: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        message = "redis-server is not on PATH: install Redis to run this test."
        if os.environ.get("READONLY_SCOPES_REQUIRE_BACKENDS"):
            pytest.fail(message)
        pytest.skip(message)
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def running(site: Site, kind: str = "asgi") -> Iterator[Site]:
    site.start(kind)
    try:
        yield site
    finally:
        site.stop()


def answers(site: Site, status: int) -> Callable[[], bool]:
    return lambda: site.post("/items/", "probe") == status


def redis_site(tmp_path: Path, server: RedisServer, **environment: str) -> Site:
    return Site(
        tmp_path,
        READONLY_SCOPES_LIVE_REDIS=server.url,
        READONLY_SCOPES_LIVE_PREFIX="rs",
        READONLY_SCOPES_LIVE_REFRESH=str(REFRESH),
        **environment,
    )


def statuses_until_logged(site: Site, text: str, count: int) -> list[int]:
    """POST while waiting for the server to log ``text`` ``count`` times."""
    statuses = []
    deadline = time.monotonic() + 15
    while site.log.read_text().count(text) < count:
        assert time.monotonic() < deadline, site.log.read_text()
        statuses.append(site.post("/items/", "during"))
    # And for a few refresh intervals after.
    ends = time.monotonic() + 3 * REFRESH
    while time.monotonic() < ends:
        statuses.append(site.post("/items/", "after"))
    return statuses


def test_restart_and_flushall_keep_the_site_read_only(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    site = redis_site(tmp_path, redis_server)
    with running(site):
        site.manage("read_only", "on")
        until(answers(site, 503), "not read-only")

        redis_server.restart()  # Comes back empty.
        assert "no record in cache 'default'" in site.manage("read_only", "status")
        statuses = statuses_until_logged(site, LOST, 1)
        assert set(statuses) == {503}

        # A record again (the server sees it), then FLUSHALL.
        site.manage("read_only", "off")
        until(answers(site, 200), "off not followed")
        site.manage("read_only", "on")
        until(answers(site, 503), "on not followed")
        with redis_server.client() as client:
            client.flushall()
        statuses = statuses_until_logged(site, LOST, 2)
        assert set(statuses) == {503}

        # A worker that starts now knows nothing: it assumes the setting.
        closed = redis_site(
            tmp_path, redis_server, READONLY_SCOPES_LIVE_FAIL_CLOSED="1"
        )
        with running(closed):
            assert closed.post("/items/", "fresh") == 503
        assert "so it assumes on (DJANGO_READ_ONLY_FAIL_CLOSED is True)" in (
            closed.log.read_text()
        )

        site.manage("read_only", "off")
        until(answers(site, 200), "off not followed")
    log = site.log.read_text()
    assert "keeping the last known state: on. Run `manage.py read_only on`" in log
    assert "during" not in site.names()
    assert "after" not in site.names()


def test_a_hung_redis_costs_at_most_the_socket_timeout(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    timeout = 0.5
    site = redis_site(tmp_path, redis_server, READONLY_SCOPES_LIVE_TIMEOUT=str(timeout))
    assert redis_server.process is not None
    with running(site):
        site.manage("read_only", "on")
        until(answers(site, 503), "not read-only")
        redis_server.process.send_signal(signal.SIGSTOP)
        try:
            timings = []
            for number in range(12):
                started = time.monotonic()
                status = site.post("/items/", f"hung{number}")
                timings.append((status, time.monotonic() - started))
                time.sleep(REFRESH / 2)
        finally:
            redis_server.process.send_signal(signal.SIGCONT)
        site.manage("read_only", "off")
        until(answers(site, 200), "off not followed")
    assert {status for status, _ in timings} == {503}
    slowest = max(seconds for _, seconds in timings)
    # Reads waited for the timeout, and no longer (slack for a busy machine).
    assert timeout * 0.9 <= slowest < timeout + 1.5, timings
    log = site.log.read_text()
    assert (
        "Could not read the site read-only switch from cache 'default' (Timeout" in log
    )
    assert "keeping the last known state: on." in log
    assert not any(name.startswith("hung") for name in site.names())


def test_database_cache_from_a_read_only_operator_shell(tmp_path: Path) -> None:
    site = Site(tmp_path, READONLY_SCOPES_LIVE_CACHE="database")
    site.manage("migrate", "--run-syncdb", "-v", "0")
    site.manage("createcachetable")
    operator = {"DJANGO_READ_ONLY": "1"}
    # As at deploy time, so that no process starts without a record.
    site.manage("read_only", "off", **operator)
    with running(site, "wsgi"):
        assert site.post("/items/", "before") == 200

        output = site.manage("read_only", "on", "--for", "4", **operator)
        ends = time.monotonic() + 4
        assert output.startswith("Site read-only mode is ON since ")
        status = site.manage("read_only", "status", **operator)
        assert "; it turns itself off at " in status
        until(answers(site, 503), "on not followed")
        until(answers(site, 200), "the period did not end", seconds=10)
        # Ends on the record's time (the two clocks agree to well within 0.5 s).
        assert time.monotonic() > ends - 0.5
        assert "when the period set by" in site.manage(
            "read_only", "status", **operator
        )

        site.manage("read_only", "on", **operator)
        until(answers(site, 503), "on not followed")
        site.manage("read_only", "off", **operator)
        until(answers(site, 200), "off not followed")
        assert "turned off by" in site.manage("read_only", "status", **operator)
    log = site.log.read_text()
    assert "Could not read" not in log
    assert "No record" not in log
    assert site.names() == {"before", "probe"}


def test_a_broken_exemption_in_a_real_server(tmp_path: Path) -> None:
    site = Site(
        tmp_path,
        READONLY_SCOPES_LIVE_EXEMPT="tests.site_views.exempt_broken",
        READONLY_SCOPES_LIVE_REFRESH="60",  # Also the interval between its ERRORs.
    )
    site.manage("migrate", "--run-syncdb", "-v", "0")
    site.manage("read_only", "on")
    with running(site, "wsgi"):
        url = f"http://127.0.0.1:{site.port}/items/"
        reads = []
        for _ in range(5):
            with urllib.request.urlopen(url, timeout=60) as response:
                reads.append(response.status)
        writes = [site.post("/items/", "x") for _ in range(5)]
    assert reads == [200] * 5
    assert writes == [503] * 5
    log = site.log.read_text()
    assert log.count("Could not decide whether request") == 1
    assert (
        "AttributeError: 'AnonymousUser' object has no attribute 'is_maintainer'" in log
    )
    assert "x" not in site.names()
