"""Template context for a read-only banner, and for one that announces a window."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from django.http import HttpRequest
from django.utils.timezone import localtime

from readonly_scopes.conf import CONF
from readonly_scopes.middleware import ATTRIBUTE, site_read_only
from readonly_scopes.switch import SWITCH, SiteState


def read_only(request: HttpRequest) -> dict[str, Any]:
    """
    ``read_only_site``: whether the site is read-only (``on``), until when
    (``until``, an aware datetime in the current time zone, or None when no
    end is set), why this request may still write (``exempt``, or None), and
    a window scheduled to start within ``DJANGO_READ_ONLY_ANNOUNCE_AHEAD``
    (``scheduled``: ``starts`` and ``until``, as aware datetimes, or None).
    """
    mode = getattr(request, ATTRIBUTE, None)
    switch = SWITCH.current()
    state = mode.state if mode is not None else switch
    # A period that ran out is no end to show, even while the flag is on.
    until = state.until if state.on else None
    return {
        "read_only_site": {
            "on": site_read_only(state),
            "until": aware(until),
            "exempt": None if mode is None else mode.exempt,
            # From the switch itself: a failover's state schedules nothing.
            "scheduled": announced(switch),
        }
    }


def announced(state: SiteState) -> dict[str, datetime | None] | None:
    ahead = state.seconds_to_start()
    if ahead is None or ahead > CONF.announce_ahead:
        return None
    return {"starts": aware(state.starts), "until": aware(state.until)}


def aware(timestamp: float | None) -> datetime | None:
    if timestamp is None:
        return None
    return localtime(datetime.fromtimestamp(timestamp, timezone.utc))
