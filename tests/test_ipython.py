from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.terminal.interactiveshell import TerminalInteractiveShell
from traitlets.config import Config

from readonly_scopes import ReadOnlyError, temp_writes, writes_allowed
from readonly_scopes.console import MAGIC
from readonly_scopes.state import FLAG


def make_shell(cls: type[InteractiveShell]) -> Iterator[Any]:
    config = Config()
    config.HistoryManager.enabled = False
    config.TerminalInteractiveShell.simple_prompt = True
    shell = cls.instance(config=config)
    yield shell
    cls.clear_instance()


@pytest.fixture
def terminal() -> Iterator[Any]:
    yield from make_shell(TerminalInteractiveShell)


def prompt_text(shell: Any) -> str:
    return "".join(text for _, text in shell.prompts.in_prompt_tokens())


def test_magic_flips_the_process_flag(
    terminal: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal.run_line_magic("load_ext", "readonly_scopes")
    assert MAGIC.loaded
    terminal.run_line_magic("read_only", "on")
    assert not writes_allowed()
    assert FLAG.source == "%read_only on"
    assert (
        "BLOCKED (read-only). Allow them with readonly_scopes.enable_writes() or "
        in (capsys.readouterr().out)
    )
    terminal.run_line_magic("read_only", " OFF ")
    assert writes_allowed()
    terminal.run_line_magic("read_only", "")
    assert "ALLOWED" in capsys.readouterr().out


def test_magic_refuses_other_arguments(terminal: Any) -> None:
    terminal.run_line_magic("load_ext", "readonly_scopes")
    with pytest.raises(UsageError, match="%read_only takes 'on' or 'off', not 'maybe'"):
        terminal.run_line_magic("read_only", "maybe")
    assert writes_allowed()


def test_prompt_shows_the_live_mode(terminal: Any) -> None:
    plain = prompt_text(terminal)
    terminal.run_line_magic("load_ext", "readonly_scopes")
    assert prompt_text(terminal) == "[writes] " + plain
    terminal.run_line_magic("read_only", "on")
    assert prompt_text(terminal) == "[read-only] " + plain
    with temp_writes():
        assert prompt_text(terminal).startswith("[writes] ")
    terminal.run_line_magic("reload_ext", "readonly_scopes")
    assert prompt_text(terminal) == "[read-only] " + plain


def test_shells_without_prompts_still_get_the_magic() -> None:
    for shell in make_shell(InteractiveShell):
        assert not hasattr(shell, "prompts")
        shell.run_line_magic("load_ext", "readonly_scopes")
        shell.run_line_magic("read_only", "on")
        assert not writes_allowed()
        shell.run_line_magic("unload_ext", "readonly_scopes")
        assert not MAGIC.loaded


def test_unloading_restores_the_prompt_the_magic_and_the_hints(terminal: Any) -> None:
    plain = prompt_text(terminal)
    terminal.run_line_magic("load_ext", "readonly_scopes")
    terminal.run_line_magic("read_only", "on")
    terminal.run_line_magic("unload_ext", "readonly_scopes")
    assert prompt_text(terminal) == plain
    assert not MAGIC.loaded
    assert terminal.custom_exceptions == ()
    with pytest.raises(UsageError, match="Line magic function `%read_only` not found"):
        terminal.run_line_magic("read_only", "off")
    # Unloading leaves the mode as it was, and loading again shows it.
    assert not writes_allowed()
    terminal.run_line_magic("load_ext", "readonly_scopes")
    assert prompt_text(terminal) == "[read-only] " + plain


def test_a_handler_of_the_users_own_stays(terminal: Any) -> None:
    def handler(*args: Any, **kwargs: Any) -> None:
        pass

    terminal.set_custom_exc((KeyError,), handler)
    terminal.run_line_magic("load_ext", "readonly_scopes")
    assert terminal.custom_exceptions == (KeyError,)
    terminal.run_line_magic("unload_ext", "readonly_scopes")
    assert terminal.custom_exceptions == (KeyError,)


WRITE_CELL = """\
from django.db import connection


def make_table():
    connection.cursor().execute("CREATE TABLE made_in_ipython (x integer)")


make_table()
"""


@pytest.mark.django_db
def test_a_blocked_write_is_shown_short_and_tb_shows_it_all(
    terminal: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal.run_line_magic("load_ext", "readonly_scopes")
    terminal.run_line_magic("read_only", "on")
    capsys.readouterr()
    result = terminal.run_cell(WRITE_CELL)
    assert isinstance(result.error_in_exec, ReadOnlyError)
    short = capsys.readouterr().out
    lines = short.splitlines()
    assert lines[0].startswith('  File "<ipython-input-') or "ipykernel" in lines[0]
    assert lines[0].endswith(", line 5, in make_table")
    assert lines[1] == (
        '    connection.cursor().execute("CREATE TABLE made_in_ipython (x integer)")'
    )
    assert lines[2].startswith(
        "ReadOnlyError: Write blocked on database 'default': CREATE TABLE"
    )
    assert "run `%read_only off`" in short
    assert lines[-1] == (
        "(Django's part of the traceback is hidden; see it all with `%tb`.)"
    )
    assert "django/db/backends" not in short
    assert len(lines) == 6
    terminal.run_line_magic("tb", "")
    full = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)
    assert "django/db/backends/utils.py" in full
    assert "readonly_scopes/guard.py" in full
    assert "make_table()" in full


@pytest.mark.django_db
def test_after_unloading_errors_are_plain_and_stop_suggesting_the_magic(
    terminal: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal.run_line_magic("load_ext", "readonly_scopes")
    terminal.run_line_magic("read_only", "on")
    terminal.run_line_magic("unload_ext", "readonly_scopes")
    capsys.readouterr()
    result = terminal.run_cell(WRITE_CELL)
    assert isinstance(result.error_in_exec, ReadOnlyError)
    assert "%read_only off" not in str(result.error_in_exec)
    assert "django/db/backends/utils.py" in capsys.readouterr().out
