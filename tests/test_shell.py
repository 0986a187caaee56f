from __future__ import annotations

import sqlite3
import subprocess
import sys
import types
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.core.management.commands import shell as django_shell
from django.db import connection
from django.test import override_settings

from readonly_scopes import ReadOnlyError, writes_allowed
from readonly_scopes.backstop.coverage import COVERAGE
from readonly_scopes.flag import load_flag
from readonly_scopes.management.commands.shell import Command
from readonly_scopes.state import FLAG
from tests.terminal import Terminal, run_piped

DJANGO_SHELL = [sys.executable, "-m", "django", "shell", "--settings=tests.settings"]
CREATE_TABLE = (
    "from django.db import connection\n"
    "connection.cursor().execute('CREATE TABLE created_by_shell (x integer)')\n"
    "print('created')"
)


def options(**overrides: Any) -> dict[str, Any]:
    return {"verbosity": 0, "no_imports": False, "no_startup": True, **overrides}


@pytest.mark.django_db
def test_read_only_flag_blocks_writes_in_commands() -> None:
    with pytest.raises(ReadOnlyError, match="start the shell with --writes"):
        call_command("shell", read_only=True, command=CREATE_TABLE)
    assert FLAG.source == "manage.py shell --read-only"


RAW_WRITE = (
    "from django.db import connection\n"
    "connection.ensure_connection()\n"
    "connection.connection.execute('CREATE TABLE raw_by_shell (x integer)')"
)


@pytest.mark.django_db
def test_read_only_shell_turns_the_backstop_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The driver's own connection bypasses the guard: the database refuses it.
    with pytest.raises(sqlite3.OperationalError, match="readonly database"):
        call_command("shell", read_only=True, command=RAW_WRITE)
    assert COVERAGE.aliases == frozenset(settings.DATABASES)
    monkeypatch.delattr(sys, "ps1", raising=False)
    monkeypatch.setattr("code.interact", lambda local: None)
    out = StringIO()
    Command(stdout=out).python(options())
    assert out.getvalue().endswith(
        "The databases refuse writes too, in their own read-only mode (backstop "
        f"on: {', '.join(sorted(settings.DATABASES))}).\n"
    )


@pytest.mark.django_db
@override_settings(DJANGO_READ_ONLY_ENFORCE=False)
def test_setting_can_keep_the_backstop_off_in_the_shell() -> None:
    call_command("shell", read_only=True, command=RAW_WRITE)
    assert COVERAGE.on is False
    FLAG.set(False, "the test")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE raw_by_shell")


def test_writes_flag_allows_writes_even_when_the_environment_blocks_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DJANGO_READ_ONLY", "1")
    load_flag()
    call_command(
        "shell", writes=True, command="assert readonly_scopes.writes_allowed()"
    )
    assert writes_allowed()


def test_without_a_flag_the_shell_follows_the_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DJANGO_READ_ONLY", "1")
    load_flag()
    call_command("shell", command="assert not readonly_scopes.writes_allowed()")


def test_read_only_and_writes_exclude_each_other() -> None:
    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command("shell", "--read-only", "--writes", "-c", "pass")


def test_readonly_scopes_is_imported_automatically() -> None:
    namespace = Command().get_namespace(**options())
    # Compared by module: the IPython tests reload the package.
    assert namespace["readonly_scopes"] is sys.modules["readonly_scopes"]


def test_auto_imports_switched_off_stay_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(django_shell.Command, "get_auto_imports", lambda self: None)
    assert Command().get_auto_imports() is None


def test_python_shows_the_mode_in_banner_and_live_prompt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prompts: list[str] = []

    def interact(local: dict[str, Any]) -> None:
        prompts.append(str(sys.ps1))
        local["readonly_scopes"].enable_writes()
        prompts.append(str(sys.ps1))

    monkeypatch.setattr("code.interact", interact)
    monkeypatch.delattr(sys, "ps1", raising=False)
    FLAG.set(True, "test")
    out = StringIO()
    Command(stdout=out).python(options())
    assert out.getvalue().startswith("readonly_scopes: database writes are BLOCKED")
    assert "%read_only" not in out.getvalue()
    assert prompts == ["[read-only] >>> ", "[writes] >>> "]


def test_ipython_loads_the_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("IPython.start_ipython", lambda **kwargs: calls.append(kwargs))
    out = StringIO()
    Command(stdout=out).ipython(options())
    assert calls[0]["argv"] == ["--ext=readonly_scopes"]
    assert "readonly_scopes" in calls[0]["user_ns"]
    assert (
        "ALLOWED. Block them with readonly_scopes.disable_writes() or %read_only on"
        in (out.getvalue())
    )


def test_bpython_announces_the_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    embedded: list[dict[str, Any]] = []
    fake = types.ModuleType("bpython")
    fake.embed = embedded.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bpython", fake)
    out = StringIO()
    Command(stdout=out).bpython(options())
    assert "readonly_scopes: database writes are ALLOWED" in out.getvalue()
    assert "readonly_scopes" in embedded[0]


def test_missing_bpython_falls_through_silently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "bpython", None)
    out = StringIO()
    with pytest.raises(ImportError):
        Command(stdout=out).bpython(options())
    assert out.getvalue() == ""


# The command as a user runs it, in its own process.


def run_shell(
    tmp_path: Path, *args: str, environ: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return run_piped([*DJANGO_SHELL, *args], tmp_path, environ)


@pytest.mark.parametrize("environment", ["", "1"])
def test_command_exit_status(tmp_path: Path, environment: str) -> None:
    environ = {"DJANGO_READ_ONLY": environment}
    blocked = run_shell(tmp_path, "--read-only", "-c", CREATE_TABLE, environ=environ)
    assert blocked.returncode != 0
    assert "readonly_scopes.errors.ReadOnlyError: Write blocked" in blocked.stderr
    assert "start the shell with --writes" in blocked.stderr
    allowed = run_shell(tmp_path, "--writes", "-c", CREATE_TABLE, environ=environ)
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.endswith("created\n")


def test_piped_input_runs_in_the_chosen_mode(tmp_path: Path) -> None:
    piped = run_piped([*DJANGO_SHELL, "--read-only"], tmp_path, {}, CREATE_TABLE)
    assert piped.returncode != 0
    assert "ReadOnlyError: Write blocked" in piped.stderr


def test_interactive_python_shell_on_a_terminal(tmp_path: Path) -> None:
    terminal = Terminal(
        [*DJANGO_SHELL, "-i", "python", "--read-only", "--no-startup"], tmp_path
    )
    try:
        banner = terminal.read_until("[read-only] >>> ")
        assert "database writes are BLOCKED (read-only)" in banner
        terminal.type("readonly_scopes.enable_writes()")
        terminal.read_until("[writes] >>> ")
        terminal.type("exit()")
    finally:
        assert terminal.close() == 0


def test_a_blocked_write_on_a_terminal_is_short_with_the_full_one_at_hand(
    tmp_path: Path,
) -> None:
    terminal = Terminal(
        [*DJANGO_SHELL, "-i", "python", "--read-only", "--no-startup"], tmp_path
    )
    try:
        terminal.read_until("[read-only] >>> ")
        terminal.type("Item.objects.create(name='typed')")
        lines = terminal.read_until("[read-only] >>> ").split("\n")
        # The echo of the input, the report, the next prompt.
        assert lines[0] == "Item.objects.create(name='typed')"
        assert lines[1] == '  File "<console>", line 1, in <module>'
        assert lines[2].startswith(
            "ReadOnlyError: Write blocked on database 'default': INSERT INTO"
        )
        assert lines[4].endswith(", or start the shell with --writes.")
        assert lines[5] == (
            "(Django's part of the traceback is hidden; see it all with "
            "`import sys, traceback; traceback.print_exception(sys.last_value)`.)"
        )
        assert len(lines) == 7
        terminal.type(
            "import sys, traceback; traceback.print_exception(sys.last_value)"
        )
        full = terminal.read_until("[read-only] >>> ")
        assert "django/db/models/query.py" in full
        assert "readonly_scopes.errors.ReadOnlyError: Write blocked" in full
        # Other errors keep their usual traceback.
        terminal.type("1 / 0")
        other = terminal.read_until("[read-only] >>> ")
        assert "Traceback (most recent call last):" in other
        assert "ZeroDivisionError: division by zero" in other
        terminal.type("exit()")
    finally:
        assert terminal.close() == 0


def test_ipython_on_a_terminal_shows_the_mode_and_short_errors(tmp_path: Path) -> None:
    terminal = Terminal([*DJANGO_SHELL, "-i", "ipython", "--read-only"], tmp_path)
    try:
        banner = terminal.read_until("[read-only] In [1]: ")
        assert "database writes are BLOCKED (read-only). Allow them with " in banner
        assert "or %read_only off" in banner
        terminal.type("Item.objects.create(name='typed')")
        report = terminal.read_until("[read-only] In [2]: ")
        assert "ReadOnlyError: Write blocked on database 'default': INSERT" in report
        assert "run `%read_only off`" in report
        assert "see it all with `%tb`" in report
        assert "django/db" not in report
        terminal.type("%tb")
        assert "django/db/models/query.py" in terminal.read_until("In [3]: ")
        terminal.type("%read_only off")
        terminal.read_until("[writes] In [4]: ")
        terminal.type("%unload_ext readonly_scopes")
        assert "[writes]" not in terminal.read_until("In [5]: ")
        terminal.type("exit")
    finally:
        assert terminal.close() == 0
