from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import checks
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone as django_timezone

from readonly_scopes.switch import KEY, SWITCH, SiteState, SiteSwitch

# A time as the command shows it: tests run with Django's default TIME_ZONE.
TIME = r"20\d\d-\d\d-\d\d \d\d:\d\d:\d\d C[SD]T \(UTC-0[56]:00\)"


def run(*args: str) -> str:
    out = StringIO()
    call_command("read_only", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_on_status_off() -> None:
    run("off")
    assert re.fullmatch(
        rf"Site read-only mode is OFF since {TIME}, turned off by \S+@\S+\.\n",
        run("status"),
    )
    output = run("on")
    assert re.fullmatch(
        rf"Site read-only mode is ON since {TIME}, turned on by \S+@\S+; it stays "
        r"on until `read_only off`\.\nWeb processes follow within 0\.001 s\.\n",
        output,
    )
    assert SiteSwitch().current().on
    assert run("status").startswith("Site read-only mode is ON")
    assert run("off").startswith("Site read-only mode is OFF since")
    assert not SiteSwitch().current().on


def test_times_are_in_the_configured_zone() -> None:
    with override_settings(TIME_ZONE="UTC"):
        assert re.match(r"Site read-only mode is ON since 20\S+ \S+ UTC,", run("on"))


def test_status_without_a_record() -> None:
    caches["default"].delete(KEY)
    assert run("status") == (
        "Site read-only mode: no record in cache 'default'. Processes keep the state "
        "they last knew; those that knew none assume off "
        "(DJANGO_READ_ONLY_FAIL_CLOSED). Run `read_only on` or `read_only off` to "
        "store one.\n"
    )
    with override_settings(DJANGO_READ_ONLY_FAIL_CLOSED=True):
        assert "those that knew none assume on " in run("status")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        ("45s", 45),
        ("30m", 1800),
        ("2h", 7200),
        ("1d", 86400),
        ("30d", 2592000),
    ],
)
def test_on_for_a_duration(text: str, seconds: int) -> None:
    output = run("on", "--for", text)
    assert re.search(rf"; it turns itself off at {TIME}, in {seconds} s\.\n", output)
    assert SiteSwitch().current().seconds_left() == seconds


def test_status_after_the_period_ran_out() -> None:
    caches["default"].set(
        KEY,
        {"on": True, "since": time.time() - 60, "until": time.time() - 1, "by": "a@b"},
    )
    assert re.fullmatch(
        rf"Site read-only mode is OFF since {TIME}, when the period set by a@b at "
        rf"{TIME} ran out\.\n",
        run("status"),
    )


@pytest.mark.parametrize("text", ["0", "5x", "-3m", "1.5h", "soon"])
def test_bad_duration_says_what_to_write(text: str) -> None:
    with pytest.raises(CommandError) as excinfo:
        run("on", f"--for={text}")
    assert str(excinfo.value) == (
        f"--for {text!r} is not a duration: give a whole number of seconds, or one "
        "with a unit s, m, h or d, above zero (for example 90, 30m, 2h)."
    )
    assert not SiteSwitch().current().on


@pytest.mark.parametrize("text", ["31d", "2592001", "999999999999d"])
def test_duration_has_a_limit(text: str) -> None:
    with pytest.raises(CommandError) as excinfo:
        run("on", "--for", text)
    assert str(excinfo.value) == (
        f"--for {text!r} is longer than the limit of 30 days (2592000 s). For "
        "longer, run `read_only on` without --for, and `read_only off` when done."
    )
    assert not SiteSwitch().current().on


def test_duration_only_with_on() -> None:
    with pytest.raises(CommandError, match=r"--for goes with `on` only\."):
        run("off", "--for", "5m")


def test_unreachable_cache_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("connection refused")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(caches["default"], "set", down)
        with pytest.raises(CommandError) as excinfo:
            run("on")
    assert str(excinfo.value).startswith(
        "Could not reach the cache 'default' (ConnectionError: connection refused); "
        "nothing was changed."
    )


@pytest.mark.parametrize("action", ["on", "off"])
def test_a_state_the_cache_did_not_keep_is_an_error(action: str) -> None:
    dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with override_settings(CACHES=dummy), pytest.raises(CommandError) as excinfo:
        run(action)
    assert str(excinfo.value).startswith(
        f"The site read-only switch was not turned {action}: cache 'default' did not "
        "keep the new state: reading it back gave no record."
    )


@pytest.fixture
def broken_check() -> Iterator[None]:
    def broken(**kwargs: Any) -> list[checks.CheckMessage]:
        raise RuntimeError("check crashed")

    checks.register(broken)
    try:
        yield
    finally:
        checks.registry.registry.registered_checks.discard(broken)


def test_works_while_other_settings_are_wrong() -> None:
    """`read_only on` is for emergencies: system check errors are warnings here."""
    out, err = StringIO(), StringIO()
    with override_settings(
        DJANGO_READ_ONLY_RETRY_AFTER=-1, DJANGO_READ_ONLY_EXEMPT="nowhere.at_all"
    ):
        call_command("read_only", "on", stdout=out, stderr=err)
    assert out.getvalue().startswith("Site read-only mode is ON")
    assert SiteSwitch().current().on
    warnings = err.getvalue().splitlines()
    assert warnings[0] == (
        "Warning (the switch works anyway): ?: (readonly_scopes.E001) "
        "DJANGO_READ_ONLY_RETRY_AFTER is -1; it must be a number of seconds above 0."
    )
    assert any("readonly_scopes.E003" in line for line in warnings)


@pytest.mark.usefixtures("broken_check")
def test_works_when_a_check_crashes() -> None:
    err = StringIO()
    call_command("read_only", "off", stdout=StringIO(), stderr=err)
    assert err.getvalue() == (
        "Warning (the switch works anyway): ?: The system checks failed to run "
        "(RuntimeError('check crashed')).\n"
    )
    assert SWITCH.read_record() is not None


CHICAGO = ZoneInfo("America/Chicago")


def record() -> SiteState | None:
    return SWITCH.read_record()


def minutes_ahead(minutes: float, zone: ZoneInfo = CHICAGO) -> datetime:
    return datetime.now(zone) + timedelta(minutes=minutes)


def test_on_at_schedules_a_window() -> None:
    run("off")
    starts = minutes_ahead(120)
    output = run("on", "--at", starts.isoformat(), "--for", "30m")
    assert re.fullmatch(
        rf"Site read-only mode is OFF until the window scheduled by \S+@\S+ at "
        rf"{TIME}: read-only from {TIME}, in 2 h, until {TIME}\.\n"
        r"Web processes follow within 0\.001 s\.\n",
        output,
    )
    state = record()
    assert state is not None
    assert state.starts == starts.timestamp()
    assert state.until == starts.timestamp() + 1800
    assert not SiteSwitch().current().on
    assert run("status") == output.splitlines()[0] + "\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Naive: in the current time zone, Django's default America/Chicago.
        ("2026-12-24T18:30", datetime(2026, 12, 24, 18, 30, tzinfo=CHICAGO)),
        ("2026-12-24 18:30:15", datetime(2026, 12, 24, 18, 30, 15, tzinfo=CHICAGO)),
        ("2026-12-24T18:30Z", datetime(2026, 12, 24, 18, 30, tzinfo=timezone.utc)),
        (
            "2026-12-24T18:30+05:30",
            datetime(2026, 12, 24, 13, 0, tzinfo=timezone.utc),
        ),
        (
            " 2026-12-24T18:30:00.250-0100 ",
            datetime(2026, 12, 24, 19, 30, 0, 250000, timezone.utc),
        ),
    ],
)
def test_the_iso_forms_at_takes(
    text: str, expected: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fixed now, a few days before: the times are ahead and within 30 days.
    now = datetime(2026, 12, 20, 12, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(django_timezone, "now", lambda: now)
    run("on", "--at", text)
    state = record()
    assert state is not None
    assert state.starts == expected.timestamp()
    assert state.until is None


@pytest.mark.parametrize("zone", ["America/Chicago", "Asia/Kolkata", "UTC"])
@pytest.mark.parametrize("hours", [2, -2])
def test_hh_mm_is_the_next_such_time(
    zone: str, hours: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Today when it is still to come, else tomorrow; in the current time zone."""
    # A fixed now, far from any change of daylight saving time in these zones.
    now = datetime(2026, 12, 20, 12, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(django_timezone, "now", lambda: now)
    with override_settings(TIME_ZONE=zone):
        wall = now.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        at = wall + timedelta(hours=hours)
        run("on", "--at", f"{at:%H:%M}", "--for", "1h")
    if at <= wall:
        at += timedelta(days=1)
    state = record()
    assert state is not None
    assert state.starts == at.replace(tzinfo=ZoneInfo(zone)).timestamp()


def test_hh_mm_ss() -> None:
    wall = datetime.now(CHICAGO).replace(tzinfo=None, microsecond=0)
    at = wall + timedelta(minutes=10, seconds=7)
    run("on", "--at", f"{at:%H:%M:%S}")
    state = record()
    assert state is not None
    assert state.starts == at.replace(tzinfo=CHICAGO).timestamp()


@override_settings(TIME_ZONE="Asia/Kolkata")
def test_a_naive_time_is_in_the_project_time_zone() -> None:
    tomorrow = datetime.now(ZoneInfo("Asia/Kolkata")).date() + timedelta(days=1)
    output = run("on", "--at", f"{tomorrow}T22:00")
    assert f"read-only from {tomorrow} 22:00:00 IST (UTC+05:30), in " in output
    state = record()
    assert state is not None
    # 22:00 in India is 16:30 UTC.
    assert (
        state.starts
        == datetime.combine(
            tomorrow, datetime.min.time().replace(hour=16, minute=30), timezone.utc
        ).timestamp()
    )


def examples() -> str:
    """The examples the errors give: tomorrow at 22:00 in America/Chicago."""
    tomorrow = (datetime.now(CHICAGO) + timedelta(days=1)).replace(
        hour=22, minute=0, second=0, microsecond=0
    )
    offset = tomorrow.strftime("%z")
    return (
        f"for example --at {tomorrow:%Y-%m-%dT%H:%M}, "
        f"--at {tomorrow:%Y-%m-%dT%H:%M}{offset[:3]}:{offset[3:]} or --at 22:00"
    )


def refused(*args: str) -> str:
    """The error of a command that must leave the stored state as it was."""
    run("off")
    before = caches["default"].get(KEY)
    with pytest.raises(CommandError) as excinfo:
        run(*args)
    assert caches["default"].get(KEY) == before
    return str(excinfo.value)


@pytest.mark.parametrize(
    "text", ["tomorrow", "22h", "2026-12-24", "22", "+10m", "2026-12-24T22:00 CET", ""]
)
def test_what_is_not_a_time(text: str) -> None:
    assert refused("on", "--at", text, "--for", "30m") == (
        f"--at {text!r} is not a time. Give an ISO 8601 date and time, with an "
        "offset, or without one for the current time zone (America/Chicago), or "
        f"HH:MM for the next such time: {examples()}."
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("25:00", "hour must be in 0..23"),
        ("12:61", "minute must be in 0..59"),
        ("2026-13-01T10:00", "month must be in 1..12"),
        ("2026-02-30T10:00", "day is out of range for month"),
    ],
)
def test_a_time_out_of_range(text: str, why: str) -> None:
    assert refused("on", "--at", text) == (
        f"--at {text!r} is not a valid time ({why}): {examples()}."
    )


def test_a_time_in_the_past() -> None:
    past = datetime.now(CHICAGO) - timedelta(minutes=5)
    text = past.isoformat(timespec="seconds")
    message = refused("on", "--at", text)
    assert re.fullmatch(
        rf"--at '{re.escape(text)}' is in the past: {TIME}, and it is now {TIME}\. "
        rf"Give a time to come, {re.escape(examples())}; to turn read-only mode on "
        r"now, leave out --at\.",
        message,
    )
    assert past.strftime("%Y-%m-%d %H:%M:%S") in message


def test_a_time_too_far_ahead() -> None:
    later = datetime.now(CHICAGO) + timedelta(days=30, minutes=1)
    text = later.isoformat(timespec="seconds")
    assert re.fullmatch(
        rf"--at '{re.escape(text)}' is more than 30 days ahead \({TIME}\)\. "
        rf"Schedule a window at most 30 days ahead, {re.escape(examples())}\.",
        refused("on", "--at", text),
    )
    # 30 days is within the limit.
    run("on", "--at", (later - timedelta(minutes=2)).isoformat())


@override_settings(TIME_ZONE="Europe/Paris")
def test_a_time_the_clocks_skip_or_show_twice() -> None:
    # 2027: clocks go forward at 02:00 on 28 March, back at 03:00 on 31 October.
    assert refused("on", "--at", "2027-03-28T02:30") == (
        "--at '2027-03-28T02:30' does not exist in Europe/Paris: the clocks skip "
        "it. Give the time they show then, --at 2027-03-28T03:30+02:00."
    )
    assert refused("on", "--at", "2027-10-31T02:30") == (
        "--at '2027-10-31T02:30' comes twice in Europe/Paris: the clocks go back. "
        "Add the offset of the one you mean: --at 2027-10-31T02:30+02:00 or "
        "--at 2027-10-31T02:30+01:00."
    )


@pytest.mark.parametrize("action", ["off", "status"])
def test_at_only_with_on(action: str) -> None:
    assert refused(action, "--at", "22:00") == "--at goes with `on` only."


def test_a_bad_duration_with_at_changes_nothing() -> None:
    assert refused("on", "--at", "22:00", "--for", "31d").startswith(
        "--for '31d' is longer than the limit of 30 days"
    )


def schedule(minutes: float, *args: str) -> SiteState:
    run("on", "--at", minutes_ahead(minutes).isoformat(), *args)
    state = record()
    assert state is not None
    return state


def test_off_cancels_a_window_to_come(caplog: pytest.LogCaptureFixture) -> None:
    window = schedule(60)
    with caplog.at_level(logging.INFO, "readonly_scopes"):
        output = run("off")
    assert re.fullmatch(
        rf"Site read-only mode is OFF since {TIME}, turned off by \S+@\S+\.\n"
        rf"It cancels the window scheduled by {re.escape(window.by)} at {TIME}: "
        rf"read-only from {TIME}, in (59 min \d+ s|1 h), until `read_only off`\.\n"
        r"Web processes follow within 0\.001 s\.\n",
        output,
    )
    state = record()
    assert state is not None
    assert state.starts is None
    assert not state.turned_on
    [message] = caplog.messages
    assert message.startswith(
        f"Site read-only mode turned off by {state.by}. It cancels the window "
        f"scheduled by {window.by} at "
    )


def test_a_new_on_replaces_a_window(caplog: pytest.LogCaptureFixture) -> None:
    schedule(60, "--for", "1h")
    with caplog.at_level(logging.INFO, "readonly_scopes"):
        output = run("on", "--at", minutes_ahead(90).isoformat(), "--for", "10m")
    lines = output.splitlines()
    assert re.fullmatch(
        rf"It replaces the window scheduled by \S+ at {TIME}: read-only from "
        rf"{TIME}, in (59 min \d+ s|1 h), until {TIME}\.",
        lines[1],
    )
    [message] = caplog.messages
    assert message.startswith("Site read-only mode: the window scheduled by ")
    assert message.endswith(lines[1])
    # And `on` now replaces it in turn, at once.
    output = run("on")
    assert output.startswith("Site read-only mode is ON since ")
    assert "It replaces the window scheduled by " in output
    assert SiteSwitch().current().on


def test_a_window_to_come_replaces_the_mode_that_is_on() -> None:
    run("on")
    assert re.search(
        rf"\nIt replaces the read-only mode set by \S+ at {TIME}\.\n",
        run("on", "--for", "1h"),
    )
    output = run("on", "--at", minutes_ahead(60).isoformat())
    assert re.search(
        rf"\nIt replaces the read-only mode set by \S+ at {TIME}: the site is "
        r"writable until the new window starts\.\n",
        output,
    )
    assert not SiteSwitch().current().on


def test_nothing_replaced_after_off_or_no_record() -> None:
    run("off")
    assert "It " not in run("off")
    assert "It " not in run("on")
    caches["default"].delete(KEY)
    assert "It " not in run("on", "--at", "23:59")


def test_status_in_a_window_that_started() -> None:
    caches["default"].set(
        KEY,
        {
            "on": True,
            "since": time.time() - 3600,
            "starts": time.time() - 60,
            "until": time.time() + 120,
            "by": "a@b",
        },
    )
    assert re.fullmatch(
        rf"Site read-only mode is ON since {TIME}, in a window scheduled by a@b at "
        rf"{TIME}; it turns itself off at {TIME}, in 1[12]\d s\.\n",
        run("status"),
    )
    caches["default"].set(
        KEY, {"on": True, "since": None, "starts": time.time() - 60, "by": "a@b"}
    )
    assert re.fullmatch(
        rf"Site read-only mode is ON since {TIME}, in a window scheduled by a@b at an "
        r"unknown time; it stays on until `read_only off`\.\n",
        run("status"),
    )


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [(0.75, "45 s"), (61, "1 h 1 min"), (24 * 60 + 130, "1 d 2 h"), (120.5, "2 h")],
)
def test_time_to_start_is_shown_in_its_two_largest_units(
    minutes: float, shown: str
) -> None:
    schedule(minutes)
    assert f", in {shown}, until `read_only off`." in run("status")


def test_schedules_while_other_settings_are_wrong() -> None:
    err = StringIO()
    with override_settings(DJANGO_READ_ONLY_RETRY_AFTER=-1):
        call_command("read_only", "on", "--at", "23:59", stdout=StringIO(), stderr=err)
    assert "readonly_scopes.E001" in err.getvalue()
    state = record()
    assert state is not None
    assert state.seconds_to_start() is not None
