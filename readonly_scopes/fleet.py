"""
What processes other than web requests (management commands, task workers)
take from the site switch, with ``DJANGO_READ_ONLY_FOLLOW_SWITCH``.
"""

from __future__ import annotations

import math

from readonly_scopes.conf import CONF
from readonly_scopes.scopes import Scope
from readonly_scopes.switch import SWITCH, SiteState

# Named for the error message: the task did not ask for it, the switch did.
SWITCH_SCOPE = Scope(
    allows_writes=False,
    kind="read_only() for the site switch (DJANGO_READ_ONLY_FOLLOW_SWITCH)",
)


def switch_to_follow() -> SiteState | None:
    """The switch's state when this process must follow it now, else None."""
    if not CONF.follow_switch:
        return None
    state = SWITCH.current()
    return state if state.on else None


def retry_delay(state: SiteState) -> int:
    """
    How long deferred work waits before it tries again: until the end of an
    ``on --for`` period, but no longer than ``DJANGO_READ_ONLY_RETRY_AFTER``,
    so that work follows a `read_only off` given before the end.
    """
    retry_after: int = math.ceil(CONF.retry_after)
    return min(state.seconds_left() or retry_after, retry_after)
