from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.cache import caches
from django.core.management import CommandError, call_command

from readonly_scopes.switch import SWITCH


def run(*args: str) -> str:
    out = StringIO()
    call_command("read_only", *args, stdout=out)
    return out.getvalue()


def test_on_status_off() -> None:
    assert run("status") == "Site read-only mode is OFF.\n"
    output = run("on")
    assert output.startswith("Site read-only mode is ON since 20")
    assert "; it stays on until `read_only off`." in output
    assert output.endswith("Web processes follow within 0.001 s.\n")
    assert SWITCH.current().on
    assert run("status").startswith("Site read-only mode is ON")
    assert run("off").startswith("Site read-only mode is OFF.")
    assert not SWITCH.current().on


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("45s", 45), ("30m", 1800), ("2h", 7200), ("1d", 86400)],
)
def test_on_for_a_duration(text: str, seconds: int) -> None:
    assert f"it turns itself off in {seconds} s." in run("on", "--for", text)
    assert SWITCH.current().seconds_left() == seconds


@pytest.mark.parametrize("text", ["0", "5x", "-3m", "1.5h", "soon"])
def test_bad_duration_says_what_to_write(text: str) -> None:
    with pytest.raises(CommandError) as excinfo:
        run("on", f"--for={text}")
    assert str(excinfo.value) == (
        f"--for {text!r} is not a duration: give a whole number of seconds, or one "
        "with a unit s, m, h or d, above zero (for example 90, 30m, 2h)."
    )
    assert not SWITCH.current().on


def test_duration_only_with_on() -> None:
    with pytest.raises(CommandError, match=r"--for goes with `on` only\."):
        run("off", "--for", "5m")


def test_unreachable_cache_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("connection refused")

    monkeypatch.setattr(caches["default"], "set", down)
    with pytest.raises(CommandError) as excinfo:
        run("on")
    assert str(excinfo.value).startswith(
        "Could not reach the cache 'default' (ConnectionError: connection refused); "
        "nothing was changed."
    )
