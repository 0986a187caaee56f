"""
The live-site mode end to end: real servers in other processes (uvicorn for
ASGI, Django's threaded WSGI server), many requests at once, and the switch
turned by `manage.py read_only` in yet another process.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from readonly_scopes.switch import KEY
from tests.conftest import configured_service

REPO = Path(__file__).resolve().parent.parent


class Site:
    """A server process and the environment its settings read."""

    def __init__(self, tmp_path: Path, **environment: str) -> None:
        self.database = tmp_path / "live.sqlite3"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DJANGO_SETTINGS_MODULE": "tests.live.settings",
            "READONLY_SCOPES_LIVE_DB": str(self.database),
            "READONLY_SCOPES_LIVE_CACHE_DIR": str(tmp_path / "cache"),
            **environment,
        }
        self.env.pop("DJANGO_READ_ONLY", None)
        self.env.pop("PYTHONWARNINGS", None)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tmp_path / f"server-{self.port}.log"

    def manage(self, *args: str, **environment: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "django", *args],
            env={**self.env, **environment},
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def start(self, kind: str) -> None:
        if not self.database.exists():
            self.manage("migrate", "--run-syncdb", "-v", "0")
        command = {
            "asgi": [
                sys.executable, "-m", "uvicorn", "tests.live.asgi:application",
                "--port", str(self.port), "--log-level", "warning",
            ],
            "wsgi": [sys.executable, "-m", "tests.live.wsgi_server", str(self.port)],
        }[kind]  # fmt: skip
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=REPO, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                assert self.process.poll() is None, self.log.read_text()
                time.sleep(0.1)
        raise AssertionError(f"the {kind} server did not start: {self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)

    def post(self, path: str, name: str, exempt_header: bool = False) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=urllib.parse.urlencode({"name": name}).encode(),
            headers={"X-Maintenance": "yes"} if exempt_header else {},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def banner(self) -> str:
        """What the banner says: READ-ONLY or WRITABLE. A read, never a write."""
        url = f"http://127.0.0.1:{self.port}/banner/"
        with urllib.request.urlopen(url, timeout=60) as response:
            return str(response.read().decode()).split()[0]

    def names(self) -> set[str]:
        # sqlite3's own context manager commits but never closes (ResourceWarning).
        with contextlib.closing(sqlite3.connect(self.database)) as connection:
            rows = connection.execute("SELECT name FROM testapp_item").fetchall()
        return {name for (name,) in rows}


def wait_until(condition: Callable[[], bool], what: str, seconds: float) -> None:
    """Poll until ``condition()`` holds, failing after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    site = Site(tmp_path)
    yield site
    site.stop()


# Requests that may write, and requests that may not, on the same worker.
REQUESTS = [
    ("/items/", False, False),
    ("/async-items/", False, False),
    ("/exempt/items/", False, True),
    ("/exempt/async-items/", False, True),
    ("/items/", True, True),
    ("/async-items/", True, True),
]


@pytest.mark.parametrize("kind", ["asgi", "wsgi"])
def test_concurrent_requests_each_keep_their_own_scope(site: Site, kind: str) -> None:
    site.start(kind)
    assert site.post("/items/", "before") == 200
    assert "Site read-only mode is ON" in site.manage("read_only", "on")
    wait_until(lambda: site.banner() == "READ-ONLY", "the server follows", 10)

    work = [(number, *REQUESTS[number % len(REQUESTS)]) for number in range(240)]

    def send(job: tuple[int, str, bool, bool]) -> tuple[str, bool, int]:
        number, path, header, _ = job
        name = f"{path}-{header}-{number}"
        return name, job[3], site.post(path, name, exempt_header=header)

    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(send, work))

    exempt = {name for name, may_write, _ in results if may_write}
    assert {status for _, may_write, status in results if may_write} == {200}
    leaked = [
        (name, status)
        for name, may_write, status in results
        if not may_write and status != 503
    ]
    assert leaked == []
    assert site.names() == exempt | {"before"}
    assert len(exempt) == 160


def test_switch_turned_by_another_process_through_redis(tmp_path: Path) -> None:
    redis = configured_service("redis")
    prefix = f"rs-{os.getpid()}-{time.monotonic_ns()}"
    environment = {
        "READONLY_SCOPES_LIVE_REDIS": redis,
        "READONLY_SCOPES_LIVE_PREFIX": prefix,
        "READONLY_SCOPES_LIVE_REFRESH": "1",
    }
    site = Site(tmp_path, **environment)
    try:
        site.start("asgi")
        assert site.post("/items/", "a") == 200

        site.manage("read_only", "on")
        # One refresh interval, plus slack for requests on a busy machine.
        wait_until(lambda: site.banner() == "READ-ONLY", "honoured in time", 2)
        assert site.post("/items/", "probe") == 503

        site.manage("read_only", "on", "--for", "6")
        ends = time.monotonic() + 6
        assert "turns itself off at" in site.manage("read_only", "status")
        assert site.post("/items/", "during") == 503
        # The end passes, and at most one refresh interval later it is off.
        wait_until(
            lambda: site.banner() == "WRITABLE",
            "off after its end",
            ends - time.monotonic() + 1 + 1,
        )
        assert site.post("/items/", "after") == 200
        assert "OFF" in site.manage("read_only", "status")
    finally:
        site.stop()
        forget_switch(redis, prefix)
    assert "during" not in site.names()


def test_redis_outage_keeps_the_last_state_without_failing_requests(
    tmp_path: Path,
) -> None:
    redis = urllib.parse.urlsplit(configured_service("redis"))
    proxy = Proxy((redis.hostname or "127.0.0.1", redis.port or 6379))
    site = Site(
        tmp_path,
        READONLY_SCOPES_LIVE_REDIS=f"redis://127.0.0.1:{proxy.port}{redis.path}",
        READONLY_SCOPES_LIVE_PREFIX=f"rs-{os.getpid()}-{time.monotonic_ns()}",
        READONLY_SCOPES_LIVE_REFRESH="0.2",
    )
    try:
        site.start("asgi")
        site.manage("read_only", "on")
        wait_until(lambda: site.banner() == "READ-ONLY", "the server follows", 10)
        assert site.post("/items/", "on") == 503
        proxy.close()  # Redis is gone for the server.
        # Requests make the server read the switch again, and fail to.
        wait_until(
            lambda: (
                site.banner() == "READ-ONLY"
                and "Could not read the site read-only switch" in site.log.read_text()
            ),
            "the server notices the outage",
            10,
        )
        assert [site.post("/items/", f"down{n}") for n in range(5)] == [503] * 5
        assert site.post("/exempt/items/", "fix") == 200
    finally:
        site.stop()
        proxy.close()
    log = site.log.read_text()
    assert "Could not read the site read-only switch from cache 'default'" in log
    assert "keeping the last known state: on." in log
    assert site.names() == {"fix"}
    forget_switch(configured_service("redis"), site.env["READONLY_SCOPES_LIVE_PREFIX"])


def forget_switch(url: str, prefix: str) -> None:
    """Delete the switch's record from the shared Redis: it has no expiry."""
    client = redis.Redis.from_url(url)
    try:
        client.delete(f"{prefix}:1:{KEY}")
    finally:
        client.close()


class Proxy:
    """A TCP relay to Redis that the test can cut, as an outage would."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.sockets: list[socket.socket] = []
        self.closed = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=relay, args=(source, sink), daemon=True).start()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        # Shutting down wakes the thread blocked in accept(); close alone does not.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def relay(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
