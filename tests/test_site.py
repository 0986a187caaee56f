from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import caches
from django.test import override_settings

from readonly_scopes.site import KEY, OFF, SWITCH, SiteState, SiteSwitch
from readonly_scopes.state import AUDIT


def test_switch_is_off_until_turned_on() -> None:
    assert SiteSwitch().current() == OFF
    state = SWITCH.turn_on(None)
    assert state.on
    assert state.until is None
    assert "@" in state.by
    assert SiteSwitch().current() == state
    assert AUDIT.on is True
    SWITCH.turn_off()
    assert SiteSwitch().current() == OFF
    assert AUDIT.on is False


def test_a_duration_turns_it_off_by_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    state = SWITCH.turn_on(30)
    assert state.seconds_left() == 30
    # Even a cache that keeps the key past its timeout: the end time decides.
    caches["default"].set(KEY, {"on": True, "until": time.time() - 1})
    assert SiteSwitch().current() == OFF


@override_settings(DJANGO_READ_ONLY_CACHE_REFRESH=3600)
def test_state_is_read_at_most_once_per_refresh_interval() -> None:
    switch = SiteSwitch()
    assert switch.current() == OFF
    caches["default"].set(KEY, {"on": True})
    assert switch.current() == OFF
    switch.read_at -= 3600
    assert switch.current().on


@override_settings(DJANGO_READ_ONLY_CACHE_REFRESH=3600)
def test_async_read() -> None:
    switch = SiteSwitch()
    caches["default"].set(KEY, {"on": True, "by": "ops"})
    assert async_to_sync(switch.acurrent)() == SiteState(True, None, None, "ops")
    SWITCH.turn_off()
    assert async_to_sync(switch.acurrent)().on  # Not due yet.


@pytest.mark.parametrize("method", ["current", "acurrent"])
def test_cache_outage_keeps_the_last_known_state(
    method: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    switch = SiteSwitch()
    caches["default"].set(KEY, {"on": True})
    assert switch.current().on

    def down(*args: Any) -> None:
        raise ConnectionError("connection refused")

    async def adown(*args: Any) -> None:
        down()

    monkeypatch.setattr(caches["default"], "get", down)
    monkeypatch.setattr(caches["default"], "aget", adown)
    switch.read_at -= 1
    with caplog.at_level(logging.WARNING, "readonly_scopes"):
        read = getattr(switch, method)
        state = async_to_sync(read)() if method == "acurrent" else read()
    assert state.on
    assert caplog.messages == [
        (
            "Could not read the site read-only switch from cache 'default' "
            "(ConnectionError: connection refused); keeping the last known state: on."
        )
    ]


@pytest.mark.parametrize("value", [None, "on", {"on": False}, {"off": True}])
def test_anything_but_an_on_record_reads_as_off(value: object) -> None:
    assert SiteState.from_cache(value) == OFF


def test_no_thread_sees_an_old_state_once_it_is_due(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While one thread takes in a new state, another must not get the old one."""
    switch = SiteSwitch()
    assert switch.current() == OFF
    caches["default"].set(KEY, {"on": True})
    switch.read_at -= 1
    parsing = threading.Event()
    resume = threading.Event()
    original = SiteState.from_cache

    def slow_first(value: Any) -> SiteState:
        if not parsing.is_set():
            parsing.set()
            resume.wait(10)
        return original(value)

    monkeypatch.setattr(SiteState, "from_cache", staticmethod(slow_first))
    first = threading.Thread(target=switch.current)
    first.start()
    assert parsing.wait(10)
    try:
        assert switch.current().on
    finally:
        resume.set()
        first.join()
