from __future__ import annotations

import importlib
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import django_extensions.management.commands
import pytest
from django.core.management import CommandError, call_command
from django_extensions.management.commands import shell_plus as extensions_shell_plus

from readonly_scopes import ReadOnlyError
from readonly_scopes.management.commands import shell_plus
from tests.terminal import Terminal, run_piped

SHELL_PLUS = [sys.executable, "-m", "django", "shell_plus", "--settings=tests.settings"]
CREATE_TABLE = (
    "from django.db import connection\n"
    "connection.cursor().execute('CREATE TABLE created_by_shell_plus (x integer)')\n"
    "print('created')"
)


def run(tmp_path: Path, *args: str, environ: dict[str, str]) -> Any:
    return run_piped([*SHELL_PLUS, *args], tmp_path, environ)


@pytest.mark.parametrize("environment", ["", "1"])
def test_read_only_and_writes_decide_over_the_environment(
    tmp_path: Path, environment: str
) -> None:
    environ = {"DJANGO_READ_ONLY": environment}
    blocked = run(tmp_path, "--read-only", "-c", CREATE_TABLE, environ=environ)
    assert blocked.returncode != 0
    assert "readonly_scopes.errors.ReadOnlyError: Write blocked" in blocked.stderr
    assert "start the shell with --writes" in blocked.stderr
    allowed = run(tmp_path, "--writes", "-c", CREATE_TABLE, environ=environ)
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.endswith("created\n")


def test_the_environment_decides_without_a_flag(tmp_path: Path) -> None:
    check = "assert not readonly_scopes.writes_allowed(); print('read-only')"
    shell = run(tmp_path, "-c", check, environ={"DJANGO_READ_ONLY": "1"})
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.endswith("read-only\n")


def test_plain_python_on_a_terminal(tmp_path: Path) -> None:
    terminal = Terminal([*SHELL_PLUS, "--plain", "--read-only"], tmp_path)
    try:
        banner = terminal.read_until("[read-only] >>> ")
        assert "readonly_scopes: database writes are BLOCKED (read-only)" in banner
        terminal.type("Item.objects.create(name='typed')")
        report = terminal.read_until("[read-only] >>> ").split("\n")
        assert report[1] == '  File "<console>", line 1, in <module>'
        assert report[2].startswith("ReadOnlyError: Write blocked on database")
        terminal.type("readonly_scopes.enable_writes()")
        terminal.read_until("[writes] >>> ")
        terminal.type("exit()")
    finally:
        assert terminal.close() == 0


def test_ipython_on_a_terminal(tmp_path: Path) -> None:
    terminal = Terminal([*SHELL_PLUS, "--ipython", "--read-only"], tmp_path)
    try:
        banner = terminal.read_until("[read-only] In [1]: ")
        assert "BLOCKED (read-only)" in banner
        assert "or %read_only off" in banner
        # The backstop is on, as in shell --read-only.
        assert "(backstop on: default" in banner
        terminal.type("Item.objects.create(name='typed')")
        report = terminal.read_until("[read-only] In [2]: ")
        assert "ReadOnlyError: Write blocked on database 'default': INSERT" in report
        assert "see it all with `%tb`" in report
        assert "django/db" not in report
        terminal.type("%read_only off")
        terminal.read_until("[writes] In [3]: ")
        terminal.type("exit")
    finally:
        assert terminal.close() == 0


def test_arguments_after_a_double_dash_still_load_the_extension(
    tmp_path: Path,
) -> None:
    terminal = Terminal(
        [*SHELL_PLUS, "--ipython", "--writes", "--", "--no-banner"], tmp_path
    )
    try:
        terminal.read_until("[writes] In [1]: ")
        terminal.type("exit")
    finally:
        assert terminal.close() == 0


def test_bpython_announces_the_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    command: Any = shell_plus.Command()
    started: list[bool] = []
    monkeypatch.setattr(
        extensions_shell_plus.Command,
        "get_bpython",
        lambda self, options: lambda: started.append(True),
    )
    command.stdout = StringIO()
    command.get_bpython({})()
    assert started == [True]
    assert "database writes are ALLOWED" in command.stdout.getvalue()


@pytest.mark.parametrize("runner", ["get_ipython", "get_bpython"])
def test_a_missing_shell_is_reported_as_django_extensions_does(
    monkeypatch: pytest.MonkeyPatch, runner: str
) -> None:
    monkeypatch.setattr(
        extensions_shell_plus.Command, runner, lambda self, options: "no module"
    )
    assert getattr(shell_plus.Command(), runner)({}) == "no module"


@pytest.mark.django_db
def test_the_runner_flags_are_django_extensions_own() -> None:
    with pytest.raises(ReadOnlyError):
        call_command("shell_plus", "--plain", "--read-only", command=CREATE_TABLE)


def test_without_django_extensions_it_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, extensions_shell_plus.__name__, None)
    monkeypatch.delattr(django_extensions.management.commands, "shell_plus")
    try:
        missing = importlib.reload(shell_plus)
        with pytest.raises(CommandError, match="pip install django-extensions"):
            missing.Command().handle()
        with pytest.raises(SystemExit, match="pip install django-extensions"):
            missing.Command().run_from_argv(["manage.py", "shell_plus", "--ipython"])
    finally:
        monkeypatch.undo()
        importlib.reload(shell_plus)


def test_ipython_gets_the_extension_with_any_arguments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IPYTHON_ARGUMENTS", "--no-banner")
    command: Any = shell_plus.Command()
    assert command.get_ipython_arguments({}) == ["--no-banner", "--ext=readonly_scopes"]
    started: list[Any] = []
    monkeypatch.setattr(
        extensions_shell_plus.Command,
        "get_ipython",
        lambda self, options: lambda: started.append(self.extra_args),
    )
    command.stdout = StringIO()
    command.get_ipython({})()
    command.extra_args = ["--no-banner"]
    command.get_ipython({})()
    assert started == [None, ["--no-banner", "--ext=readonly_scopes"]]
    assert "or %read_only on" in command.stdout.getvalue()
