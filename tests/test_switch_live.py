"""
The switch as operators deploy it: a real Redis server that these tests start
on a port of their own (and restart, flush and stop), and Django's database
cache driven from an operator shell with DJANGO_READ_ONLY=1, each with a web
server in another process; and a broken exemption function in such a server.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

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


CHICAGO = ZoneInfo("America/Chicago")  # Django's default TIME_ZONE: the servers'.


class Seen(NamedTuple):
    """One look at a server: a banner and a POST, between two readings of the clock."""

    before: float
    after: float
    banner: str
    status: int
    retry_after: str | None
    name: str


def look(site: Site, name: str) -> Seen:
    before = time.time()
    with urllib.request.urlopen(
        f"http://127.0.0.1:{site.port}/banner/", timeout=60
    ) as response:
        banner = response.read().decode().strip()
    request = urllib.request.Request(
        f"http://127.0.0.1:{site.port}/items/",
        data=urllib.parse.urlencode({"name": name}).encode(),
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, retry_after = response.status, None
    except urllib.error.HTTPError as error:
        with error:
            status, retry_after = error.code, error.headers["Retry-After"]
    return Seen(before, time.time(), banner, status, retry_after, name)


def watch_window(site: Site, until: datetime) -> list[Seen]:
    """Look at the server until a look that began after the window's end."""
    end = until.timestamp()
    deadline = time.monotonic() + (end - time.time()) + 15
    seen = [look(site, "w0")]
    while seen[-1].before < end:
        assert time.monotonic() < deadline, seen[-3:]
        time.sleep(0.05)
        seen.append(look(site, f"w{len(seen)}"))
    return seen


def check_window(
    site: Site,
    seen: list[Seen],
    starts: datetime,
    until: datetime,
    lead: float | None = None,
) -> None:
    """What each look saw, by where both its clock readings fall."""
    start, end = starts.timestamp(), until.timestamp()
    announce_from = -math.inf if lead is None else start - lead
    announced = (
        f"WRITABLE (read-only from {starts.isoformat()} until {until.isoformat()})"
    )
    phases = set()
    for look in seen:
        if look.after < announce_from:
            phases.add("ahead")
            assert (look.banner, look.status) == ("WRITABLE", 200), look
        elif look.before >= announce_from and look.after < start:
            phases.add("announced")
            assert (look.banner, look.status) == (announced, 200), look
        elif look.before >= start and look.after < end:
            phases.add("inside")
            assert look.banner == f"READ-ONLY until {until.isoformat()}", look
            assert look.status == 503, look
            assert look.retry_after is not None
            # Counting down to the end, not DJANGO_READ_ONLY_RETRY_AFTER's 60.
            assert 1 <= int(look.retry_after) <= math.ceil(end - look.before), look
        elif look.before >= end:
            phases.add("after")
            assert (look.banner, look.status) == ("WRITABLE", 200), look
    # Each phase seen: with a lead time, also before the announcement.
    expected = {"announced", "inside", "after"} | (set() if lead is None else {"ahead"})
    assert phases >= expected, phases
    written = site.names()
    assert {look.name for look in seen if look.status == 200} <= written
    assert not {look.name for look in seen if look.status == 503} & written
    log = site.log.read_text()
    assert log.count("Site read-only mode is now on: the window scheduled by ") == 1
    assert log.count("Site read-only mode is now off: the period set by ") == 1


def test_a_window_scheduled_ahead_in_redis(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    lead = 1.5
    site = redis_site(tmp_path, redis_server, READONLY_SCOPES_LIVE_ANNOUNCE=str(lead))
    with running(site, "wsgi"):
        # A naive time, in the servers' (and the command's) TIME_ZONE, not UTC,
        # with time for the command to return before the announcement.
        starts = datetime.fromtimestamp(time.time() + lead + 2.5, CHICAGO)
        until = starts + timedelta(seconds=1)
        output = site.manage(
            "read_only", "on", "--at", starts.replace(tzinfo=None).isoformat(),
            "--for", "1",
        )  # fmt: skip
        assert output.startswith("Site read-only mode is OFF until the window ")
        seen = watch_window(site, until)
    check_window(site, seen, starts, until, lead)


def test_a_window_scheduled_ahead_in_the_database_cache(tmp_path: Path) -> None:
    site = Site(tmp_path, READONLY_SCOPES_LIVE_CACHE="database")
    site.manage("migrate", "--run-syncdb", "-v", "0")
    site.manage("createcachetable")
    with running(site, "wsgi"):
        starts = datetime.fromtimestamp(time.time() + 2.5, timezone.utc)
        until = starts + timedelta(seconds=1)
        # From the recommended read-only operator shell.
        site.manage(
            "read_only", "on", "--at", starts.isoformat().replace("+00:00", "Z"),
            "--for", "1", DJANGO_READ_ONLY="1",
        )  # fmt: skip
        seen = watch_window(site, until)
    # Announced from the start (within the default day), shown in TIME_ZONE.
    check_window(site, seen, starts.astimezone(CHICAGO), until.astimezone(CHICAGO))


def test_off_cancels_a_window_before_it_starts(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    site = redis_site(tmp_path, redis_server)
    with running(site, "wsgi"):
        # A mistyped time: an error, an exit status, and no record stored.
        done = subprocess.run(
            [sys.executable, "-m", "django", "read_only", "on", "--at", "22.00"],
            env=site.env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 1
        assert done.stderr.startswith("CommandError: --at '22.00' is not a time. ")
        assert "for example --at 20" in done.stderr
        with redis_server.client() as client:
            assert client.keys("*") == []
        # Time for two commands before the start.
        starts = datetime.fromtimestamp(time.time() + 4, CHICAGO)
        site.manage("read_only", "on", "--at", starts.isoformat(), "--for", "60")
        assert "(read-only from " in look(site, "scheduled").banner
        output = site.manage("read_only", "off")
        assert time.time() < starts.timestamp(), "too slow to test a cancellation"
        assert "\nIt cancels the window scheduled by " in output
        # Past the start, by a few refresh intervals.
        end = starts.timestamp() + 3 * REFRESH
        seen = [look(site, "c0")]
        while seen[-1].before < end:
            time.sleep(0.05)
            seen.append(look(site, f"c{len(seen)}"))
    assert {(look.banner, look.status) for look in seen} == {("WRITABLE", 200)}
    assert "now on" not in site.log.read_text()
