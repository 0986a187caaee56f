from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from readonly_scopes import disable_writes, temp_writes
from readonly_scopes.state import AUDIT
from readonly_scopes.switch import (
    KEY,
    SWITCH,
    NotStored,
    SiteState,
    SiteSwitch,
    shown,
)
from tests.testapp.models import Item


@pytest.fixture
def no_record() -> None:
    caches["default"].delete(KEY)


def records() -> Any:
    return caches["default"].get(KEY)


def test_on_and_off_are_both_records() -> None:
    before = time.time()
    state = SWITCH.turn_on(None)
    assert state.on
    assert state.until is None
    assert "@" in state.by
    assert SiteSwitch().current() == state
    assert AUDIT.on is True
    off = SWITCH.turn_off()
    assert records() == {
        "on": False,
        "since": off.since,
        "until": None,
        "by": off.by,
        "starts": None,
    }
    assert off.since is not None
    assert before <= off.since <= time.time()
    assert not SiteSwitch().current().on
    assert AUDIT.on is False


def test_a_duration_is_kept_in_the_record() -> None:
    state = SWITCH.turn_on(30)
    assert state.seconds_left() == 30
    assert state.until is not None
    assert records()["until"] == state.until


def test_a_period_that_ran_out_reads_as_off_and_the_record_stays() -> None:
    caches["default"].set(KEY, {"on": True, "since": 1.0, "until": time.time() - 1})
    state = SiteSwitch().current()
    assert not state.on
    assert state.ran_out
    assert state.seconds_left() is None
    assert records() is not None


@override_settings(DJANGO_READ_ONLY_CACHE_REFRESH=3600)
def test_state_is_read_at_most_once_per_refresh_interval() -> None:
    switch = SiteSwitch()
    assert not switch.current().on
    caches["default"].set(KEY, {"on": True})
    assert not switch.current().on
    switch.read_at -= 3600
    assert switch.current().on


@override_settings(DJANGO_READ_ONLY_CACHE_REFRESH=3600)
def test_async_read() -> None:
    switch = SiteSwitch()
    caches["default"].set(KEY, {"on": True, "by": "ops"})
    assert async_to_sync(switch.acurrent)() == SiteState(True, None, None, "ops")
    SWITCH.turn_off()
    assert async_to_sync(switch.acurrent)().on  # Not due yet.


def read(switch: SiteSwitch, method: str) -> SiteState:
    switch.read_at -= 1
    function = getattr(switch, method)
    return async_to_sync(function)() if method == "acurrent" else function()  # type: ignore[no-any-return]


@pytest.mark.parametrize("method", ["current", "acurrent"])
def test_cache_outage_keeps_the_last_known_state(
    method: str, caplog: pytest.LogCaptureFixture
) -> None:
    switch = SiteSwitch()
    caches["default"].set(KEY, {"on": True})
    assert switch.current().on
    with caplog.at_level(logging.WARNING, "readonly_scopes"), cache_down():
        assert read(switch, method).on
    assert caplog.messages == [
        (
            "Could not read the site read-only switch from cache 'default' "
            "(ConnectionError: connection refused); keeping the last known state: on."
        )
    ]


@contextmanager
def cache_down() -> Iterator[None]:
    def down(*args: Any) -> None:
        raise ConnectionError("connection refused")

    async def adown(*args: Any) -> None:
        down()

    # Undone at the end of the block, before the suite's teardown turns it off.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(caches["default"], "get", down)
        patch.setattr(caches["default"], "aget", adown)
        yield


@pytest.mark.parametrize(("fail_closed", "on"), [(False, False), (True, True)])
def test_outage_before_the_first_read_assumes_the_setting(
    fail_closed: bool,
    on: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    SWITCH.turn_on(None)
    with (
        cache_down(),
        override_settings(DJANGO_READ_ONLY_FAIL_CLOSED=fail_closed),
        caplog.at_level(logging.WARNING, "readonly_scopes"),
    ):
        assert SiteSwitch().current().on is on
    assert caplog.messages == [
        (
            "Could not read the site read-only switch from cache 'default' "
            "(ConnectionError: connection refused); this process knew no state yet, "
            f"so it assumes {'on' if on else 'off'} (DJANGO_READ_ONLY_FAIL_CLOSED is "
            f"{fail_closed})."
        )
    ]


LOST = (
    "No record of the site read-only switch in cache 'default' (likely causes: the "
    "cache server restarted without persistence, the cache evicted it (maxmemory, "
    "MAX_ENTRIES) or something cleared the cache (cache.clear())"
)


@pytest.mark.parametrize("method", ["current", "acurrent"])
@pytest.mark.parametrize("how", ["delete", "clear"])
def test_a_lost_record_keeps_the_state_and_says_why(
    method: str, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    switch = SiteSwitch()
    SWITCH.turn_on(None)
    assert switch.current().on
    if how == "clear":
        caches["default"].clear()
    else:
        caches["default"].delete(KEY)
    with caplog.at_level(logging.INFO, "readonly_scopes"):
        assert read(switch, method).on
        assert read(switch, method).on
        assert AUDIT.on is True
    # Once, not at every read.
    assert caplog.messages == [
        (
            f"{LOST}); keeping the last known state: on. Run `manage.py read_only on` "
            "or `off` to store one."
        )
    ]
    caplog.clear()
    SWITCH.turn_off()
    with caplog.at_level(logging.INFO, "readonly_scopes"):
        assert not read(switch, method).on
        caches["default"].delete(KEY)
        assert not read(switch, method).on
    assert caplog.messages[0] == "Site read-only mode is now off"
    assert caplog.messages[1].startswith(LOST)
    assert caplog.messages[1].endswith(
        "keeping the last known state: off. Run `manage.py read_only on` or `off` "
        "to store one."
    )


@pytest.mark.usefixtures("no_record")
@pytest.mark.parametrize(("fail_closed", "on"), [(False, False), (True, True)])
def test_no_record_and_no_state_known_assumes_the_setting(
    fail_closed: bool, on: bool, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        override_settings(DJANGO_READ_ONLY_FAIL_CLOSED=fail_closed),
        caplog.at_level(logging.WARNING, "readonly_scopes"),
    ):
        switch = SiteSwitch()
        assert switch.current().on is on
        assert read(switch, "current").on is on
    assert caplog.messages == [
        (
            f"{LOST}, or none was stored yet); this process knew no state yet, so it "
            f"assumes {'on' if on else 'off'} (DJANGO_READ_ONLY_FAIL_CLOSED is "
            f"{fail_closed}). Run `manage.py read_only on` or `off` to store one."
        )
    ]


@pytest.mark.parametrize("value", [None, "on", {"on": "yes"}, {"off": True}, []])
def test_anything_but_a_record_is_no_record(value: object) -> None:
    assert SiteState.from_record(value) is None


def test_the_period_that_ran_out_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    switch = SiteSwitch()
    caches["default"].set(
        KEY, {"on": True, "since": 0.0, "until": time.time() + 0.05, "by": "ops@h"}
    )
    assert switch.current().on
    deadline = time.monotonic() + 10
    with caplog.at_level(logging.INFO, "readonly_scopes"):
        while read(switch, "current").on:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    assert len(caplog.messages) == 1
    assert caplog.messages[0].startswith(
        "Site read-only mode is now off: the period set by ops@h ended at "
    )


def test_store_reads_back_what_it_wrote() -> None:
    with (
        override_settings(
            CACHES={
                "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
            }
        ),
        pytest.raises(NotStored) as excinfo,
    ):
        SWITCH.turn_on(None)
    assert str(excinfo.value).startswith(
        "cache 'default' did not keep the new state: reading it back gave no record. "
        "A dummy cache keeps nothing; Django's database cache hides database errors"
    )


def test_store_names_another_record_read_back() -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(caches["default"], "get", lambda key: {"on": False, "by": "b@h"})
        with pytest.raises(NotStored, match="reading it back gave off by b@h"):
            SWITCH.turn_on(None)


@pytest.fixture
def database_cache() -> Iterator[None]:
    """The switch in Django's database cache, as the README allows."""
    table = "rs_switch_cache"
    caches_setting = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "switch": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": table,
        },
    }
    with override_settings(CACHES=caches_setting, DJANGO_READ_ONLY_CACHE="switch"):
        call_command("createcachetable", verbosity=0)
        try:
            yield
        finally:
            with temp_writes(), connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {table}")


def cache_rows() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key, expires FROM rs_switch_cache")
        return [(key, str(expires)) for key, expires in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_cache")
def test_database_cache_with_the_process_flag_on() -> None:
    disable_writes()
    state = SWITCH.turn_on(None)
    assert SiteSwitch().current() == state
    [(key, expires)] = cache_rows()
    assert key.endswith(KEY)
    assert expires.startswith("9999-12-31")  # No expiry: the record decides.
    # A period that ran out: the row stays and reads as off.
    with temp_writes():
        caches["switch"].set(KEY, {"on": True, "until": time.time() - 1}, None)
    assert not SiteSwitch().current().on
    assert len(cache_rows()) == 1
    SWITCH.turn_off()
    assert SiteState.from_record(caches["switch"].get(KEY)) == SWITCH.known


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_cache")
def test_database_cache_read_of_an_expired_row_is_no_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A row with a cache expiry, as 1.0 wrote for `on --for`: Django deletes it
    # when it finds it expired, which the process flag must not stop.
    caches["switch"].set(KEY, {"on": True}, timeout=0.01)
    time.sleep(0.05)
    disable_writes()
    with caplog.at_level(logging.WARNING, "readonly_scopes"):
        assert not SiteSwitch().current().on
    assert cache_rows() == []
    assert caplog.messages[0].startswith(
        "No record of the site read-only switch in cache 'switch'"
    )


def test_times_name_their_zone() -> None:
    with override_settings(TIME_ZONE="UTC"):
        assert shown(0) == "1970-01-01 00:00:00 UTC"
    with override_settings(TIME_ZONE="America/Chicago"):
        assert shown(0) == "1969-12-31 18:00:00 CST (UTC-06:00)"
    with override_settings(TIME_ZONE="Asia/Kolkata"):
        assert shown(0) == "1970-01-01 05:30:00 IST (UTC+05:30)"


def test_no_thread_sees_an_old_state_once_it_is_due(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While one thread takes in a new state, another must not get the old one."""
    switch = SiteSwitch()
    SWITCH.turn_off()
    assert not switch.current().on
    caches["default"].set(KEY, {"on": True})
    switch.read_at -= 1
    parsing = threading.Event()
    resume = threading.Event()
    original = SiteState.from_record

    def slow_first(value: Any) -> SiteState | None:
        if not parsing.is_set():
            parsing.set()
            resume.wait(10)
        return original(value)

    monkeypatch.setattr(SiteState, "from_record", staticmethod(slow_first))
    first = threading.Thread(target=switch.current)
    first.start()
    assert parsing.wait(10)
    try:
        assert switch.current().on
    finally:
        resume.set()
        first.join()


@pytest.mark.django_db(transaction=True)
def test_the_log_does_not_blame_an_unset_variable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    SWITCH.turn_on(None)  # The audit log is on; this write is outside any scope.
    with caplog.at_level(logging.INFO, "readonly_scopes"):
        Item.objects.create(name="by a command")
    [message] = caplog.messages
    assert message.startswith(
        "Write ran while read-only mode is configured, allowed by the default "
        "(DJANGO_READ_ONLY is unset or empty), on database 'default': INSERT"
    )


def test_a_window_is_kept_in_the_record_and_is_off_until_it_starts() -> None:
    before = time.time()
    state = SWITCH.turn_on(1800, starts=before + 3600)
    assert records()["starts"] == before + 3600
    assert records()["until"] == before + 3600 + 1800
    assert records()["since"] >= before
    assert not state.on
    assert not state.ran_out
    assert state.seconds_left() is None
    ahead = state.seconds_to_start()
    assert ahead is not None
    assert 3599 < ahead <= 3600
    assert SiteSwitch().current() == state
    assert AUDIT.on is False
    assert not SWITCH.turn_off().on
    assert SWITCH.read_record() == SWITCH.known
    assert records()["starts"] is None


@pytest.mark.parametrize(
    ("record", "on", "ran_out", "changes_in"),
    [
        # Started a minute ago, for an hour.
        ({"on": True, "starts": -60, "until": 3540}, True, False, 3540),
        ({"on": True, "starts": -60}, True, False, None),
        # Ended a second ago.
        ({"on": True, "starts": -60, "until": -1}, False, True, None),
        ({"on": True, "starts": 60, "until": 120}, False, False, 60),
        ({"on": True, "starts": 60}, False, False, 60),
        ({"on": False, "starts": 60}, False, False, None),
        ({"on": True}, True, False, None),
    ],
)
def test_what_a_window_means_now(
    record: dict[str, Any], on: bool, ran_out: bool, changes_in: float | None
) -> None:
    now = time.time()
    shifted = {
        key: now + value if key in ("starts", "until") else value
        for key, value in record.items()
    }
    state = SiteState.from_record(shifted)
    assert state is not None
    assert state.on is on
    assert state.ran_out is ran_out
    change = state.next_change()
    if changes_in is None:
        assert change == math.inf
    else:
        assert change == pytest.approx(now + changes_in)


@contextmanager
def counted_reads() -> Iterator[list[str]]:
    """The keys the switch's cache is asked for, while the block runs."""
    reads: list[str] = []
    original = caches["default"].get

    def get(key: str, *args: Any) -> Any:
        reads.append(key)
        return original(key, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(caches["default"], "get", get)
        yield reads


def poll(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the deadline"
        time.sleep(0.005)


@override_settings(DJANGO_READ_ONLY_CACHE_REFRESH=3600)
@pytest.mark.parametrize("method", ["current", "acurrent"])
def test_a_window_starts_and_ends_by_the_clock_between_refreshes(
    method: str, caplog: pytest.LogCaptureFixture
) -> None:
    start = time.time() + 0.3
    state = SWITCH.turn_on(0.3, starts=start)
    assert not SWITCH.current().on

    def now_on() -> bool:
        current = read_without_refresh(SWITCH, method)
        return current.on

    # The state turns by the clock; the audit bit at the read that follows.
    with counted_reads() as reads, caplog.at_level(logging.INFO, "readonly_scopes"):
        poll(lambda: now_on() and audited())
        assert time.time() >= start
        poll(lambda: not now_on() and not audited())
        assert state.until is not None
        assert time.time() >= state.until
    # Read again at the start and at the end only, not at each of the polls.
    assert 2 <= len(reads) <= 6
    by = state.by
    assert [m.split(" at ")[0] for m in caplog.messages] == [
        f"Site read-only mode is now on: the window scheduled by {by} started",
        f"Site read-only mode is now off: the period set by {by} ended",
    ]


def audited() -> bool:
    """Whether writes that run are logged: the bit the guard reads."""
    return AUDIT.on


def read_without_refresh(switch: SiteSwitch, method: str) -> SiteState:
    function = getattr(switch, method)
    return async_to_sync(function)() if method == "acurrent" else function()  # type: ignore[no-any-return]


@override_settings(DJANGO_READ_ONLY_CACHE_REFRESH=3600)
def test_a_window_starts_and_ends_while_the_cache_is_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = SWITCH.turn_on(0.5, starts=time.time() + 0.2)
    assert not SWITCH.current().on
    with cache_down(), caplog.at_level(logging.INFO, "readonly_scopes"):
        poll(lambda: SWITCH.current().on)
        poll(lambda: not SWITCH.current().on)
    changes = [m for m in caplog.messages if m.startswith("Site read-only mode is")]
    assert len(changes) == 2
    assert changes[0].startswith(
        f"Site read-only mode is now on: the window scheduled by {state.by} started "
    )
    assert caplog.messages[0].startswith("Could not read the site read-only switch")


def test_an_open_ended_window_is_logged_with_no_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    switch = SiteSwitch()
    caches["default"].set(
        KEY, {"on": True, "since": 0.0, "starts": time.time() - 1, "by": "ops@h"}
    )
    with caplog.at_level(logging.INFO, "readonly_scopes"):
        assert switch.current().on
    [message] = caplog.messages
    assert message.startswith(
        "Site read-only mode is now on: the window scheduled by ops@h started at "
    )
    assert message.endswith(", until `read_only off`")
