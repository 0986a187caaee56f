from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.terminal.interactiveshell import TerminalInteractiveShell
from traitlets.config import Config

from readonly_scopes import ipython, temp_writes, writes_allowed
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
    assert ipython.extension_loaded
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
