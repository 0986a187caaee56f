from __future__ import annotations

import re
import time
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core import checks
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.test import override_settings

from readonly_scopes.switch import KEY, SWITCH, SiteSwitch

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
