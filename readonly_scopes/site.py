"""
The fleet-wide switch: read-only mode for a whole site, stored in one of
Django's caches (``DJANGO_READ_ONLY_CACHE``) so that every process on every
machine sees it.

Each process re-reads it at most every ``DJANGO_READ_ONLY_CACHE_REFRESH``
seconds. When the cache cannot be read, the process keeps the last state it
knew and logs a warning; a request never fails because of the cache.
"""

from __future__ import annotations

import math
import socket
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches

from readonly_scopes.audit import logger, os_user
from readonly_scopes.conf import setting
from readonly_scopes.state import AUDIT, recompute

KEY = "readonly_scopes:site"


@dataclass(frozen=True)
class SiteState:
    on: bool
    since: float | None = None
    until: float | None = None
    by: str = ""

    @classmethod
    def from_cache(cls, value: Any) -> SiteState:
        if not isinstance(value, dict) or not value.get("on"):
            return OFF
        state = cls(True, value.get("since"), value.get("until"), value.get("by", ""))
        # Caches may keep a key past its timeout; the end time decides.
        if state.until is not None and state.until <= time.time():
            return OFF
        return state

    def seconds_left(self) -> int | None:
        if self.until is None:
            return None
        return max(1, math.ceil(self.until - time.time()))


OFF = SiteState(False)


class SiteSwitch:
    def __init__(self) -> None:
        self.known = OFF
        self.read_at = -math.inf

    def current(self) -> SiteState:
        if not self.due():
            return self.known
        try:
            value = caches[setting("DJANGO_READ_ONLY_CACHE")].get(KEY)
        except Exception as error:
            return self.keep_after(error)
        return self.record(value)

    async def acurrent(self) -> SiteState:
        if not self.due():
            return self.known
        try:
            value = await caches[setting("DJANGO_READ_ONLY_CACHE")].aget(KEY)
        except Exception as error:
            return self.keep_after(error)
        return self.record(value)

    def due(self) -> bool:
        # Requests that come while a read is under way read too, rather than
        # go on with a state older than the refresh interval.
        refresh: float = setting("DJANGO_READ_ONLY_CACHE_REFRESH")
        return time.monotonic() - self.read_at >= refresh

    def record(self, value: Any) -> SiteState:
        """Take a value just read from (or written to) the cache as the state."""
        state = SiteState.from_cache(value)
        if state != self.known:
            logger.info("Site read-only mode is now %s", "on" if state.on else "off")
        self.known = state
        recompute()
        # Only now: a thread that finds the state fresh must also find it new.
        self.read_at = time.monotonic()
        return state

    def keep_after(self, error: Exception) -> SiteState:
        # Try again after the interval, not on every request meanwhile.
        self.read_at = time.monotonic()
        logger.warning(
            "Could not read the site read-only switch from cache %r (%s: %s); "
            "keeping the last known state: %s.",
            setting("DJANGO_READ_ONLY_CACHE"),
            type(error).__name__,
            error,
            "on" if self.known.on else "off",
        )
        return self.known

    def turn_on(self, seconds: float | None) -> SiteState:
        now = time.time()
        value = {
            "on": True,
            "since": now,
            "until": None if seconds is None else now + seconds,
            "by": f"{os_user()}@{socket.gethostname()}",
        }
        caches[setting("DJANGO_READ_ONLY_CACHE")].set(KEY, value, timeout=seconds)
        return self.record(value)

    def turn_off(self) -> SiteState:
        caches[setting("DJANGO_READ_ONLY_CACHE")].delete(KEY)
        return self.record(None)

    def read_now(self) -> SiteState:
        return self.record(caches[setting("DJANGO_READ_ONLY_CACHE")].get(KEY))


SWITCH = SiteSwitch()
AUDIT.add_source(lambda: SWITCH.known.on)
