"""
Management commands follow the site switch, with
``DJANGO_READ_ONLY_FOLLOW_SWITCH``: a command started (from cron, say) while
the switch is on runs with the process flag on, so its writes raise
``ReadOnlyError`` and it exits with an error instead of writing.

The switch is read once, at start-up. Commands that keep their own mode or
serve others are never affected: the switch's own command, the shells, and
long-running servers and workers, which follow the switch per request or per
task instead.
"""

from __future__ import annotations

import sys
import warnings
from types import FrameType
from typing import TypeVar

from django.core.management import (
    BaseCommand,
    ManagementUtility,
    get_commands,
    load_command_class,
)

from readonly_scopes.audit import logger
from readonly_scopes.conf import CONF
from readonly_scopes.flag import set_flag
from readonly_scopes.fleet import switch_to_follow

NEVER_FOLLOW = frozenset(
    {
        "read_only",
        "shell",
        "dbshell",
        "shell_plus",
        "runserver",
        "db_worker",
        # A test run writes to test databases of its own.
        "test",
        "testserver",
    }
)
ATTRIBUTE = "follows_read_only_switch"
C = TypeVar("C", bound=type[BaseCommand])


def ignores_switch(command_class: C) -> C:
    """Let a management command write while the site switch is on."""
    setattr(command_class, ATTRIBUTE, False)
    return command_class


def started_command(frame: FrameType | None) -> list[str] | None:
    """
    The command line of the management command this process was started to
    run, found on the stack: ``django.setup()`` (and so ``ready()``) runs
    inside ``ManagementUtility.execute`` for ``manage.py``, ``django-admin``
    and ``python -m django`` alike, and nowhere else.
    """
    while frame is not None:
        if frame.f_code is ManagementUtility.execute.__code__:
            utility: ManagementUtility = frame.f_locals["self"]
            return utility.argv
        frame = frame.f_back
    return None


def follows_switch(name: str) -> bool:
    if name in NEVER_FOLLOW or name in CONF.exempt_commands:
        return False
    app = get_commands().get(name)
    if app is None:  # Django says it is unknown, right after this.
        return False
    command = app if isinstance(app, BaseCommand) else load_command_class(app, name)
    return bool(getattr(command, ATTRIBUTE, True))


def follow_switch_at_start() -> None:
    argv = started_command(sys._getframe(1))
    if argv is None or len(argv) < 2 or not follows_switch(argv[1]):
        return
    with warnings.catch_warnings():
        # Reading the switch from a database cache is a query before the app
        # registry is ready: deliberate, once, and before the command runs.
        warnings.filterwarnings(
            "ignore", "Accessing the database during app initial", RuntimeWarning
        )
        state = switch_to_follow()
    if state is None:
        return
    set_flag(
        True,
        f"the site read-only switch (turned on by {state.by}), which "
        "DJANGO_READ_ONLY_FOLLOW_SWITCH makes management commands follow",
        configured=True,
    )
    logger.warning(
        "Management command %r runs read-only: the site read-only switch is on. "
        "To let it write, add it to DJANGO_READ_ONLY_EXEMPT_COMMANDS or decorate "
        "its class with readonly_scopes.integrations.commands.ignores_switch.",
        argv[1],
    )
