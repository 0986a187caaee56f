from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps

from readonly_scopes import installed_apps
from readonly_scopes.installed_apps import check_installed_apps
from tests.terminal import REPO


def check(tmp_path: Path, installed_apps: str) -> subprocess.CompletedProcess[str]:
    """`manage.py check` of the test settings with other INSTALLED_APPS."""
    (tmp_path / "other_settings.py").write_text(
        f"from tests.settings import *\nINSTALLED_APPS = {installed_apps}\n"
    )
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--settings=other_settings"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}"},
        timeout=60,
        check=False,
    )


def test_django_read_only_beside_it_is_an_error(tmp_path: Path) -> None:
    both = check(tmp_path, '[*INSTALLED_APPS, "django_read_only"]')
    assert both.returncode == 1
    assert (
        "?: (readonly_scopes.E010) django_read_only and readonly_scopes are both in "
        "INSTALLED_APPS, so every statement passes two guards" in both.stderr
    )
    assert "HINT: Remove 'django_read_only' from INSTALLED_APPS" in both.stderr


def test_an_earlier_app_with_the_same_command_is_a_warning(tmp_path: Path) -> None:
    first = check(
        tmp_path,
        '["django_extensions", *(app for app in INSTALLED_APPS '
        'if app != "django_extensions")]',
    )
    assert first.returncode == 0, first.stderr
    assert (
        "?: (readonly_scopes.W010) The shell_plus command of 'django_extensions' "
        "wins over readonly_scopes'" in first.stderr
    )
    assert "HINT: Put 'readonly_scopes' above 'django_extensions'" in first.stderr
    assert "The shell command" not in first.stderr


def test_the_test_settings_pass() -> None:
    assert check_installed_apps() == []


def test_both_guards_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apps, "is_installed", lambda name: True)
    assert [message.id for message in check_installed_apps()] == [
        "readonly_scopes.E010"
    ]


def test_each_shell_command_won_by_another_app(monkeypatch: pytest.MonkeyPatch) -> None:
    commands = {"shell": "rival", "dbshell": "readonly_scopes", "shell_plus": "rival"}
    monkeypatch.setattr(installed_apps, "get_commands", lambda: commands)
    warnings = check_installed_apps()
    assert [message.msg.split(" command")[0] for message in warnings] == [
        "The shell",
        "The shell_plus",
    ]
