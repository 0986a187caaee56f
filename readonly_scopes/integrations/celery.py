"""
Celery tasks follow the site switch, with ``DJANGO_READ_ONLY_FOLLOW_SWITCH``
and this base class (``Celery(..., task_cls=...)`` or ``@app.task(base=...)``).

A task that starts while the switch is on runs inside ``read_only()``,
unless it is named in ``DJANGO_READ_ONLY_EXEMPT_TASKS`` or allows its own
writes (``@temp_writes`` inside ``@app.task``). When a write is blocked, the
task is retried with Celery's own ``retry()``: after the switch's end time,
or ``DJANGO_READ_ONLY_RETRY_AFTER`` seconds if that comes first, and within
the task's ``max_retries``. Past them it fails with the ``ReadOnlyError``,
as any task that runs out of retries, so nothing is dropped without a trace.

A base class rather than ``task_prerun``/``task_postrun`` signals: the scope
must enclose the call to end in a ``finally`` whatever happens, and only code
inside the call can turn the error into a retry.
"""

from __future__ import annotations

from typing import Any

from celery import Task

from readonly_scopes.audit import logger
from readonly_scopes.conf import CONF
from readonly_scopes.errors import ReadOnlyError
from readonly_scopes.fleet import SWITCH_SCOPE, retry_delay, switch_to_follow


class ReadOnlyTask(Task[Any, Any]):
    """A task that waits for the site switch to go off before it writes."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        exempt = self.name in CONF.exempt_tasks
        state = None if exempt else switch_to_follow()
        if state is None:
            return super().__call__(*args, **kwargs)
        try:
            with SWITCH_SCOPE:
                return super().__call__(*args, **kwargs)
        except ReadOnlyError as error:
            countdown = retry_delay(state)
            if self.max_retries is None or self.request.retries < self.max_retries:
                then = f"it is retried in {countdown} s"
            else:
                then = (
                    f"it fails: it has no retries left (max_retries={self.max_retries})"
                )
            logger.warning(
                "Task %s[%s] tried to write while the site is read-only; %s.",
                self.name,
                self.request.id,
                then,
            )
            raise self.retry(exc=error, countdown=countdown) from error
