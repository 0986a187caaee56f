"""
Tasks of Django's tasks framework (``django.tasks``, or the ``django_tasks``
backport before Django 6.0) follow the site switch, with
``DJANGO_READ_ONLY_FOLLOW_SWITCH`` and ``@follows_switch`` under ``@task``.

A task that starts while the switch is on runs inside ``read_only()``,
unless its module path is in ``DJANGO_READ_ONLY_EXEMPT_TASKS`` or it allows
its own writes (``@temp_writes``). When a write is blocked, the task is
enqueued again to run after the switch's end, or after
``DJANGO_READ_ONLY_RETRY_AFTER`` seconds if that comes first, and this run
fails with ``TaskDeferred``, which names the new result: the framework has
no retry of its own, and a result marked successful would hide that the
work has not been done yet.

A decorator rather than the worker's ``task_started``/``task_finished``
signals: the scope has to enclose the call, and the signals run beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from importlib import import_module
from typing import Any, TypeVar, cast

from django.utils import timezone

from readonly_scopes.audit import logger
from readonly_scopes.conf import CONF
from readonly_scopes.errors import ReadOnlyError
from readonly_scopes.fleet import SWITCH_SCOPE, retry_delay, switch_to_follow
from readonly_scopes.scopes import temp_writes

F = TypeVar("F", bound=Callable[..., Any])


class TaskDeferred(ReadOnlyError):
    """A task's write was blocked by the site switch; it was enqueued again."""


def follows_switch(func: F) -> F:
    """Run a task of Django's tasks framework under the site switch."""
    path = f"{func.__module__}.{func.__qualname__}"

    @wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        exempt = path in CONF.exempt_tasks
        state = None if exempt else switch_to_follow()
        if state is None:
            return func(*args, **kwargs)
        try:
            with SWITCH_SCOPE:
                return func(*args, **kwargs)
        except ReadOnlyError as error:
            delay = retry_delay(state)
            # The module holds the Task that @task made of this function.
            task = getattr(import_module(func.__module__), func.__name__)
            with temp_writes():
                later = task.using(
                    run_after=timezone.now() + timedelta(seconds=delay)
                ).enqueue(*args, **kwargs)
            logger.warning(
                "Task %s tried to write while the site is read-only; it is "
                "enqueued again as %s, to run in %s s.",
                path,
                later.id,
                delay,
            )
            raise TaskDeferred(
                f"Task {path} was deferred while the site is read-only: it is "
                f"enqueued again as result {later.id}, to run in {delay} s."
            ) from error

    return cast(F, run)
