from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from IPython.terminal.interactiveshell import TerminalInteractiveShell
from traitlets.config import Config

from readonly_scopes import disable_writes, enable_writes, writes_allowed
from readonly_scopes.flag import set_flag
from readonly_scopes.state import FLAG


def flag_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage().split(", as OS user")[0]
        for record in caplog.records
        if record.name == "readonly_scopes"
    ]


def test_each_change_is_logged_once_with_who_made_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, "readonly_scopes"):
        set_flag(False, "nobody")  # Already allowed: nothing changes.
        disable_writes()
        disable_writes()
        enable_writes()
    assert [line.split(" called at ")[0] for line in flag_lines(caplog)] == [
        "Writes disabled by disable_writes()",
        "Writes enabled by enable_writes()",
    ]
    assert f"called at {__file__}:" in caplog.records[0].getMessage()


def test_the_configuration_is_logged_when_it_blocks_writes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    configured = []
    with caplog.at_level(logging.INFO, "readonly_scopes"):
        with override_settings(DJANGO_READ_ONLY=True):
            configured.append(FLAG.configured)
        configured.append(FLAG.configured)
    assert configured == [True, False]
    assert flag_lines(caplog) == [
        "Writes disabled by the DJANGO_READ_ONLY setting",
        "Writes enabled by the default (DJANGO_READ_ONLY is unset or empty)",
    ]


def query_only() -> int:
    """What SQLite itself says about the connection's read-only mode."""
    row = connection.connection.execute("PRAGMA query_only").fetchone()
    return int(row[0])


@pytest.fixture
def backstop() -> Iterator[None]:
    with override_settings(DJANGO_READ_ONLY_ENFORCE=True):
        connection.ensure_connection()
        yield


@pytest.fixture
def ipython_shell() -> Iterator[Any]:
    config = Config()
    config.HistoryManager.enabled = False
    config.TerminalInteractiveShell.simple_prompt = True
    shell = TerminalInteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "readonly_scopes")
    yield shell
    TerminalInteractiveShell.clear_instance()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("backstop")
def test_every_caller_brings_the_backstop_in_step(ipython_shell: Any) -> None:
    steps: list[tuple[bool, int]] = []

    def step() -> None:
        steps.append((writes_allowed(), query_only()))

    disable_writes()
    step()
    enable_writes()
    step()
    ipython_shell.run_line_magic("read_only", "on")
    step()
    ipython_shell.run_line_magic("read_only", "off")
    step()
    call_command("shell", read_only=True, command="pass")
    step()
    call_command("shell", writes=True, command="pass")
    step()
    assert steps == [(False, 1), (True, 0)] * 3


def test_a_change_for_some_databases_is_logged_with_the_databases_it_leaves_read_only(
    caplog: pytest.LogCaptureFixture, other_alias: str
) -> None:
    with caplog.at_level(logging.INFO, "readonly_scopes"):
        disable_writes(using=other_alias)
        disable_writes(using=other_alias)  # No change: not logged again.
        enable_writes(using=other_alias)
        with override_settings(DJANGO_READ_ONLY=[other_alias]):
            pass
    lines = [line.split(" called at ")[0] for line in flag_lines(caplog)]
    assert lines[:2] == [
        f"Writes disabled by disable_writes(using={other_alias!r})",
        f"Writes enabled by enable_writes(using={other_alias!r})",
    ]
    assert flag_lines(caplog)[0].endswith(
        f", which makes only {other_alias!r} read-only"
    )
    assert flag_lines(caplog)[1].endswith(", which makes none read-only")
    assert lines[2:] == [
        (
            f"Writes disabled by the DJANGO_READ_ONLY setting, which makes only "
            f"{other_alias!r} read-only"
        ),
        "Writes enabled by the default (DJANGO_READ_ONLY is unset or empty)",
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("backstop")
def test_a_change_for_some_databases_brings_those_in_step(other_alias: str) -> None:
    disable_writes(using=other_alias)
    assert query_only() == 0
    disable_writes(using="default")
    assert query_only() == 1
    enable_writes(using=("default", other_alias))
    assert query_only() == 0
