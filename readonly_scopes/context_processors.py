"""Template context for a read-only banner."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from django.http import HttpRequest
from django.utils.timezone import localtime

from readonly_scopes.middleware import ATTRIBUTE, site_read_only
from readonly_scopes.switch import SWITCH


def read_only(request: HttpRequest) -> dict[str, Any]:
    """
    ``read_only_site``: whether the site is read-only (``on``), until when
    (``until``, an aware datetime in the current time zone, or None when no
    end is set), and why this request may still write (``exempt``, or None).
    """
    mode = getattr(request, ATTRIBUTE, None)
    state = mode.state if mode is not None else SWITCH.current()
    # A period that ran out is no end to show, even while the flag is on.
    until = state.until if state.on else None
    return {
        "read_only_site": {
            "on": site_read_only(state),
            "until": None
            if until is None
            else localtime(datetime.fromtimestamp(until, timezone.utc)),
            "exempt": None if mode is None else mode.exempt,
        }
    }
