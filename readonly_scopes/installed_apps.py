"""
System checks of the apps installed beside this one: django-read-only's guard
next to this one, and apps whose commands win over this app's shells.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Error, Warning
from django.core.management import get_commands

SHELL_COMMANDS = ("shell", "dbshell", "shell_plus")


def check_installed_apps(**kwargs: Any) -> list[CheckMessage]:
    return check_django_read_only() + check_shell_commands()


def check_django_read_only() -> list[CheckMessage]:
    if not apps.is_installed("django_read_only"):
        return []
    return [
        Error(
            "django_read_only and readonly_scopes are both in INSTALLED_APPS, so "
            "every statement passes two guards: django-read-only's ignores "
            "readonly_scopes' temp_writes() and shell --writes, and blocks reads "
            "that readonly_scopes allows.",
            hint="Remove 'django_read_only' from INSTALLED_APPS and import from "
            "readonly_scopes instead; the README's 'Moving from django-read-only' "
            "lists what changes.",
            id="readonly_scopes.E010",
        )
    ]


def check_shell_commands() -> list[CheckMessage]:
    commands = get_commands()
    return [
        Warning(
            f"The {name} command of {commands[name]!r} wins over readonly_scopes' "
            f"because it comes first in INSTALLED_APPS, so `manage.py {name}` has "
            "no --read-only or --writes and shows no read-only state.",
            hint=f"Put 'readonly_scopes' above {commands[name]!r} in INSTALLED_APPS.",
            id="readonly_scopes.W010",
        )
        for name in SHELL_COMMANDS
        # An earlier app's command of the same name is the one Django runs.
        if commands[name] != "readonly_scopes"
    ]
