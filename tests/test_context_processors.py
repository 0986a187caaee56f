"""The banner's context: the state now, and a scheduled window announced ahead."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client, RequestFactory, override_settings

from readonly_scopes.context_processors import read_only
from readonly_scopes.failover import DATABASE
from readonly_scopes.switch import SWITCH


def banner_context() -> dict[str, Any]:
    context: dict[str, Any] = read_only(RequestFactory().get("/"))["read_only_site"]
    return context


def window(starts_in: float, lasts: float | None) -> float:
    """Store a window starting ``starts_in`` seconds from now; its start."""
    starts = time.time() + starts_in
    SWITCH.turn_on(lasts, starts=starts)
    return starts


def test_no_window_announces_nothing() -> None:
    assert banner_context() == {
        "on": False,
        "until": None,
        "exempt": None,
        "scheduled": None,
    }
    SWITCH.turn_on(60)
    assert banner_context()["scheduled"] is None


@override_settings(TIME_ZONE="Asia/Kolkata")
def test_a_window_within_the_default_day_is_announced() -> None:
    starts = window(23 * 3600, 1800)
    context = banner_context()
    assert context["on"] is False
    assert context["until"] is None
    scheduled = context["scheduled"]
    assert scheduled["starts"] == datetime.fromtimestamp(starts, timezone.utc)
    assert scheduled["until"] == datetime.fromtimestamp(starts + 1800, timezone.utc)
    # Aware, in the current time zone, as `until` is.
    assert scheduled["starts"].utcoffset() == timedelta(hours=5, minutes=30)
    assert scheduled["until"].tzname() == "IST"


def test_a_window_further_than_the_lead_time_is_not_announced_yet() -> None:
    window(25 * 3600, 1800)
    assert banner_context()["scheduled"] is None


@pytest.mark.parametrize("ahead", [600, timedelta(minutes=10)])
def test_the_lead_time_is_a_setting(ahead: object) -> None:
    with override_settings(DJANGO_READ_ONLY_ANNOUNCE_AHEAD=ahead):
        window(11 * 60, None)
        assert banner_context()["scheduled"] is None
        starts = window(9 * 60, None)
        assert banner_context()["scheduled"] == {
            "starts": datetime.fromtimestamp(starts, timezone.utc),
            "until": None,
        }


@override_settings(DJANGO_READ_ONLY_ANNOUNCE_AHEAD=0.5)
def test_the_announcement_comes_at_the_lead_time_and_ends_at_the_start() -> None:
    starts = window(1, 0.3)
    seen = []
    deadline = time.monotonic() + 10
    while True:
        before = time.time()
        context = banner_context()
        after = time.time()
        if context["on"]:
            break
        assert time.monotonic() < deadline
        seen.append((starts - before, starts - after, context["scheduled"]))
        time.sleep(0.01)
    assert context["scheduled"] is None
    assert context["until"] == datetime.fromtimestamp(starts + 0.3, timezone.utc)
    # Not announced while further away than the lead time, then announced.
    assert any(scheduled is None for *_, scheduled in seen)
    assert any(scheduled is not None for *_, scheduled in seen)
    for ahead_before, ahead_after, scheduled in seen:
        if scheduled is None:
            assert ahead_before > 0.5
        else:
            assert ahead_after <= 0.5


@pytest.fixture
def database_refused() -> Iterator[None]:
    with override_settings(DJANGO_READ_ONLY_FOLLOW_DATABASE=True):
        DATABASE.refused("default", "error 1290")
        try:
            yield
        finally:
            DATABASE.__init__()  # type: ignore[misc]


@pytest.mark.usefixtures("database_refused")
def test_a_window_is_announced_while_a_database_keeps_the_site_read_only(
    client: Client,
) -> None:
    starts = window(3600, 600)
    banner = client.get("/banner/").content.decode().strip()
    assert banner.startswith("READ-ONLY until ")
    assert banner.endswith(
        f"(read-only from {local_iso(starts)} until {local_iso(starts + 600)})"
    )


def local_iso(timestamp: float) -> str:
    """A time as the test banner shows it: ISO 8601, in Django's default zone."""
    return datetime.fromtimestamp(timestamp, ZoneInfo("America/Chicago")).isoformat()


def test_the_banner_shows_a_window_to_come(client: Client) -> None:
    starts = window(3600, None)
    assert client.get("/banner/").content.decode().strip() == (
        f"WRITABLE (read-only from {local_iso(starts)})"
    )
