"""
The fleet-wide switch: read-only mode for a whole site, kept as one record in
one of Django's caches (``DJANGO_READ_ONLY_CACHE``) so that every process on
every machine sees it.

Both "on" and "off" are records (who, when, and for "on" an optional start
and end), so a missing record always means the cache lost it. Each process
re-reads it at most every ``DJANGO_READ_ONLY_CACHE_REFRESH`` seconds, and
once more when the start or end of the state it knows comes: the record says
when a scheduled window begins and ends, so no process needs to be told, and
each logs the change (and updates the audit bit) as it happens. When the
cache cannot be read or the record is gone, a process keeps the state it
last knew and logs a warning; one that knew none assumes
``DJANGO_READ_ONLY_FAIL_CLOSED``. A request never fails because of the cache.

The switch's own reads and writes run in ``temp_writes()``: Django's database
cache silently drops a write that the process flag blocks, and deletes the
rows it finds expired on a read.
"""

from __future__ import annotations

import math
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from django.core.cache import BaseCache, caches
from django.utils.timezone import localtime

from readonly_scopes.audit import logger, os_user
from readonly_scopes.conf import CONF
from readonly_scopes.scopes import temp_writes
from readonly_scopes.state import AUDIT, recompute

KEY = "readonly_scopes:site"
LOST_RECORD_CAUSES = (
    "the cache server restarted without persistence, the cache evicted it "
    "(maxmemory, MAX_ENTRIES) or something cleared the cache (cache.clear())"
)


@dataclass(frozen=True)
class SiteState:
    """One record of the switch, or a state a process assumed without one."""

    turned_on: bool
    # When it was turned on or off; None for an assumed state.
    since: float | None = None
    until: float | None = None
    by: str = ""
    # The start of a scheduled window; None for one that began when stored.
    starts: float | None = None

    @property
    def on(self) -> bool:
        # The record has no expiry in the cache: its start and end times decide.
        return (
            self.turned_on
            and (self.starts is None or self.starts <= time.time())
            and (self.until is None or self.until > time.time())
        )

    @property
    def ran_out(self) -> bool:
        return self.turned_on and self.until is not None and self.until <= time.time()

    def seconds_to_start(self) -> float | None:
        """Until a scheduled window starts, or None when none is still to come."""
        if not self.turned_on or self.starts is None:
            return None
        ahead = self.starts - time.time()
        return ahead if ahead > 0 else None

    def next_change(self) -> float:
        """When ``on`` changes next by the clock alone (a time.time() value)."""
        now = time.time()
        if not self.turned_on:
            return math.inf
        if self.starts is not None and self.starts > now:
            return self.starts
        if self.until is not None and self.until > now:
            return self.until
        return math.inf

    def seconds_left(self) -> int | None:
        """Until the end of an "on" period, or None when there is none."""
        if self.until is None or not self.on:
            return None
        return max(1, math.ceil(self.until - time.time()))

    @classmethod
    def from_record(cls, value: Any) -> SiteState | None:
        """The state a cached value records, or None for no (usable) record."""
        if not isinstance(value, dict) or not isinstance(value.get("on"), bool):
            return None
        return cls(
            value["on"],
            value.get("since"),
            value.get("until"),
            value.get("by", ""),
            value.get("starts"),
        )

    def record(self) -> dict[str, Any]:
        return {
            "on": self.turned_on,
            "since": self.since,
            "until": self.until,
            "by": self.by,
            "starts": self.starts,
        }


ASSUMED_OFF = SiteState(False)
ASSUMED_ON = SiteState(True, by="DJANGO_READ_ONLY_FAIL_CLOSED")


def shown(timestamp: float) -> str:
    """A time for people: in the current time zone, which it names."""
    moment = localtime(datetime.fromtimestamp(timestamp, timezone.utc))
    text = moment.strftime("%Y-%m-%d %H:%M:%S %Z")
    offset = moment.strftime("%z")
    if offset != "+0000":
        text += f" (UTC{offset[:3]}:{offset[3:]})"
    return text


class NotStored(Exception):
    """The cache did not keep what the switch wrote."""


def switch_cache() -> BaseCache:
    return caches[CONF.cache]


class SiteSwitch:
    def __init__(self) -> None:
        self.known: SiteState | None = None
        self.read_at = -math.inf
        # The time.monotonic() at which the known state's start or end comes.
        self.change_at = math.inf
        self.was_on = False
        self.record_missing = False

    def current(self) -> SiteState:
        if self.known is not None and not self.due():
            return self.known
        try:
            with temp_writes():
                value = switch_cache().get(KEY)
        except Exception as error:
            return self.keep_after(error)
        return self.take(value)

    async def acurrent(self) -> SiteState:
        if self.known is not None and not self.due():
            return self.known
        try:
            async with temp_writes():
                value = await switch_cache().aget(KEY)
        except Exception as error:
            return self.keep_after(error)
        return self.take(value)

    def due(self) -> bool:
        # Requests that come while a read is under way read too, rather than
        # go on with a state older than the refresh interval. At a start or
        # an end, read again: the change is logged and the audit bit follows
        # at once, and a cancellation made just now is seen.
        refresh = CONF.cache_refresh
        now = time.monotonic()
        return now - self.read_at >= refresh or now >= self.change_at

    def take(self, value: Any) -> SiteState:
        """Take a value just read from (or written to) the cache as the state."""
        state = SiteState.from_record(value)
        if state is not None:
            self.record_missing = False
        else:
            state, kept = self.fallback()
            if not self.record_missing:
                self.record_missing = True
                logger.warning(
                    "No record of the site read-only switch in cache %r (likely "
                    "causes: %s%s); %s. Run `manage.py read_only on` or `off` to "
                    "store one.",
                    CONF.cache,
                    LOST_RECORD_CAUSES,
                    "" if self.known is not None else ", or none was stored yet",
                    kept,
                )
        self.settle(state)
        return state

    def keep_after(self, error: Exception) -> SiteState:
        state, kept = self.fallback()
        logger.warning(
            "Could not read the site read-only switch from cache %r (%s: %s); %s.",
            CONF.cache,
            type(error).__name__,
            error,
            kept,
        )
        # Try again after the interval, not on every request meanwhile.
        self.settle(state)
        return state

    def fallback(self) -> tuple[SiteState, str]:
        """The state to go on with when there is no record to read, and why."""
        if self.known is not None:
            return self.known, f"keeping the last known state: {on_off(self.known)}"
        fail_closed = CONF.fail_closed
        state = ASSUMED_ON if fail_closed else ASSUMED_OFF
        return state, (
            f"this process knew no state yet, so it assumes {on_off(state)} "
            f"(DJANGO_READ_ONLY_FAIL_CLOSED is {fail_closed})"
        )

    def settle(self, state: SiteState) -> None:
        on = state.on
        if on != self.was_on:
            logger.info(
                "Site read-only mode is now %s%s", on_off(state), changed_by(state)
            )
        self.was_on = on
        self.known = state
        recompute()
        # The wall clock's change time, as a monotonic one: what due() reads.
        self.change_at = time.monotonic() + (state.next_change() - time.time())
        # Only now: a thread that finds the state fresh must also find it new.
        self.read_at = time.monotonic()

    def turn_on(self, seconds: float | None, starts: float | None = None) -> SiteState:
        """Turn it on now, or from ``starts`` (a time.time() value); for ``seconds``."""
        now = time.time()
        begins = now if starts is None else starts
        until = None if seconds is None else begins + seconds
        return self.store(SiteState(True, now, until, operator(), starts))

    def turn_off(self) -> SiteState:
        return self.store(SiteState(False, time.time(), None, operator()))

    def store(self, state: SiteState) -> SiteState:
        """Write the record, and read it back: caches may drop writes silently."""
        cache = switch_cache()
        with temp_writes():
            # No expiry: an "on" record must not vanish into "no record".
            cache.set(KEY, state.record(), timeout=None)
            stored = SiteState.from_record(cache.get(KEY))
        if stored != state:
            raise NotStored(
                f"cache {CONF.cache!r} did not keep the new "
                f"state: reading it back gave {describe_record(stored)}. A dummy "
                "cache keeps nothing; Django's database cache hides database errors "
                "(check that its table exists, `manage.py createcachetable`, and "
                "that the database accepts writes); another operator may also have "
                "changed it at the same moment"
            )
        self.take(state.record())
        return state

    def read_record(self) -> SiteState | None:
        """The record in the cache now, or None when there is none."""
        with temp_writes():
            value = switch_cache().get(KEY)
        return SiteState.from_record(value)


def operator() -> str:
    return f"{os_user()}@{socket.gethostname()}"


def changed_by(state: SiteState) -> str:
    """What made the state change by the clock, for the log: a start or an end."""
    if state.ran_out and state.until is not None:
        return f": the period set by {state.by} ended at {shown(state.until)}"
    if state.on and state.starts is not None:
        end = "`read_only off`" if state.until is None else shown(state.until)
        return (
            f": the window scheduled by {state.by} started at {shown(state.starts)}, "
            f"until {end}"
        )
    return ""


def on_off(state: SiteState) -> str:
    return "on" if state.on else "off"


def describe_record(state: SiteState | None) -> str:
    if state is None:
        return "no record"
    return f"{'on' if state.turned_on else 'off'} by {state.by or 'nobody'}"


SWITCH = SiteSwitch()
AUDIT.add_source(lambda: SWITCH.was_on)
