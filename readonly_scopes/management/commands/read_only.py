"""
``manage.py read_only on|off|status``: the site-wide switch in the shared cache.

``on --at`` schedules a window: the record says when it starts, and each
process turns read-only then by its own clock. Every option is checked before
the cache is touched, so that a mistyped time changes nothing.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, tzinfo
from datetime import time as clock_time
from typing import Any

from django.core import checks
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from readonly_scopes import audit
from readonly_scopes.conf import CONF
from readonly_scopes.switch import SWITCH, NotStored, SiteState, shown

UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION = re.compile(r"(\d+)([smhd]?)")
LONGEST = 30 * 86400
# Further ahead, a start is more likely a mistyped date than a plan.
FURTHEST = 30 * 86400
CLOCK = re.compile(r"(\d{1,2}):(\d\d)(?::(\d\d))?")
# The ISO 8601 forms --at takes: a date, a time and an optional offset.
ISO = re.compile(
    r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?(?:Z|[+-]\d\d(?::?\d\d)?)?"
)


def parse_duration(text: str) -> int:
    match = DURATION.fullmatch(text.strip().lower())
    if match is None or int(match[1]) == 0:
        raise CommandError(
            f"--for {text!r} is not a duration: give a whole number of seconds, or "
            "one with a unit s, m, h or d, above zero (for example 90, 30m, 2h)."
        )
    seconds = int(match[1]) * UNITS[match[2]]
    if seconds > LONGEST:
        raise CommandError(
            f"--for {text!r} is longer than the limit of 30 days ({LONGEST} s). "
            "For longer, run `read_only on` without --for, and `read_only off` "
            "when done."
        )
    return seconds


def parse_start(text: str) -> float:
    """The start ``--at`` gives, as a time.time() value, checked against now."""
    now = timezone.now()
    zone = timezone.get_current_timezone()
    stripped = text.strip()
    clock = CLOCK.fullmatch(stripped)
    try:
        if clock is not None:
            hour, minute, second = (int(part) for part in clock.groups("0"))
            moment = next_at(clock_time(hour, minute, second), now, zone, text)
        else:
            parsed = parse_datetime(stripped) if ISO.fullmatch(stripped) else None
            if parsed is None:
                raise CommandError(
                    f"--at {text!r} is not a time. Give an ISO 8601 date and time, "
                    "with an offset, or without one for the current time zone "
                    f"({zone}), or HH:MM for the next such time: "
                    f"{examples(now, zone)}."
                )
            moment = parsed if timezone.is_aware(parsed) else local(parsed, zone, text)
    except ValueError as error:  # A field out of range: a 13th month, 25 h.
        raise CommandError(
            f"--at {text!r} is not a valid time ({error}): {examples(now, zone)}."
        ) from error
    ahead = (moment - now).total_seconds()
    if ahead <= 0:
        raise CommandError(
            f"--at {text!r} is in the past: {shown(moment.timestamp())}, and it is "
            f"now {shown(now.timestamp())}. Give a time to come, "
            f"{examples(now, zone)}; to turn read-only mode on now, leave out --at."
        )
    if ahead > FURTHEST:
        raise CommandError(
            f"--at {text!r} is more than 30 days ahead ({shown(moment.timestamp())}). "
            f"Schedule a window at most 30 days ahead, {examples(now, zone)}."
        )
    return moment.timestamp()


def next_at(at: clock_time, now: datetime, zone: tzinfo, text: str) -> datetime:
    """The next time the clocks of ``zone`` show ``at``: today, or tomorrow."""
    today = now.astimezone(zone)
    day = today.date()
    if datetime.combine(day, at) <= today.replace(tzinfo=None):
        day += timedelta(days=1)
    return local(datetime.combine(day, at), zone, text)


def local(naive: datetime, zone: tzinfo, text: str) -> datetime:
    """A naive time in ``zone``, refusing one the clocks skip or show twice."""
    earlier = naive.replace(tzinfo=zone, fold=0)
    later = naive.replace(tzinfo=zone, fold=1)
    if earlier.utcoffset() == later.utcoffset():
        return earlier
    shown_then = datetime.fromtimestamp(earlier.timestamp(), zone)
    if shown_then.replace(tzinfo=None) != naive:
        raise CommandError(
            f"--at {text!r} does not exist in {zone}: the clocks skip it. Give the "
            f"time they show then, --at {shown_then.isoformat(timespec='minutes')}."
        )
    raise CommandError(
        f"--at {text!r} comes twice in {zone}: the clocks go back. Add the offset "
        f"of the one you mean: --at {earlier.isoformat(timespec='minutes')} or "
        f"--at {later.isoformat(timespec='minutes')}."
    )


def examples(now: datetime, zone: tzinfo) -> str:
    """Values of --at that work now: tomorrow at 22:00, naive and with offset."""
    tomorrow = (now.astimezone(zone) + timedelta(days=1)).replace(
        hour=22, minute=0, second=0, microsecond=0
    )
    return (
        f"for example --at {tomorrow:%Y-%m-%dT%H:%M}, "
        f"--at {tomorrow.isoformat(timespec='minutes')} or --at 22:00"
    )


def span(seconds: float) -> str:
    """A duration for people, in its two largest units: 2 h 30 min, 45 s."""
    left = max(1, math.ceil(seconds))
    days, left = divmod(left, 86400)
    hours, left = divmod(left, 3600)
    minutes, left = divmod(left, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (left, "s")]
    first = next(index for index, (count, _) in enumerate(parts) if count)
    return " ".join(
        f"{count} {unit}" for count, unit in parts[first : first + 2] if count
    )


def since(state: SiteState) -> str:
    return "an unknown time" if state.since is None else shown(state.since)


def window(state: SiteState, starts: float, ahead: float) -> str:
    end = "`read_only off`" if state.until is None else shown(state.until)
    return f"read-only from {shown(starts)}, in {span(ahead)}, until {end}"


def scheduled(state: SiteState) -> str | None:
    """The window a record schedules, or None when none is still to come."""
    ahead = state.seconds_to_start()
    if ahead is None or state.starts is None:
        return None
    return (
        f"the window scheduled by {state.by} at {since(state)}: "
        f"{window(state, state.starts, ahead)}"
    )


def describe(state: SiteState | None) -> str:
    if state is None:
        return (
            "Site read-only mode: no record in cache "
            f"{CONF.cache!r}. Processes keep the state they "
            "last knew; those that knew none assume "
            f"{'on' if CONF.fail_closed else 'off'} "
            "(DJANGO_READ_ONLY_FAIL_CLOSED). Run `read_only on` or `read_only off` "
            "to store one."
        )
    coming = scheduled(state)
    if coming is not None:
        return f"Site read-only mode is OFF until {coming}."
    if state.ran_out and state.until is not None:
        return (
            f"Site read-only mode is OFF since {shown(state.until)}, when the period "
            f"set by {state.by} at {since(state)} ran out."
        )
    if not state.on:
        return (
            f"Site read-only mode is OFF since {since(state)}, turned off by "
            f"{state.by}."
        )
    if state.starts is None:
        text = (
            f"Site read-only mode is ON since {since(state)}, turned on by {state.by}"
        )
    else:
        text = (
            f"Site read-only mode is ON since {shown(state.starts)}, in a window "
            f"scheduled by {state.by} at {since(state)}"
        )
    if state.until is None:
        return text + "; it stays on until `read_only off`."
    return (
        text + f"; it turns itself off at {shown(state.until)}, "
        f"in {state.seconds_left()} s."
    )


def replaced(action: str, before: SiteState | None, state: SiteState) -> str | None:
    """What a new record took the place of, when that was more than "off"."""
    if before is None:
        return None
    coming = scheduled(before)
    if coming is not None:
        return f"It {'replaces' if action == 'on' else 'cancels'} {coming}."
    if action != "on" or not before.on:
        return None
    text = f"It replaces the read-only mode set by {before.by} at {since(before)}"
    if state.seconds_to_start() is not None:
        return text + ": the site is writable until the new window starts."
    return text + "."


class Command(BaseCommand):
    help = (
        "Turn the site-wide read-only mode on or off, now or in a window to come, "
        "or show it. The state is kept in the cache named by DJANGO_READ_ONLY_CACHE, "
        "so every process that runs ReadOnlySiteMiddleware follows it within "
        "DJANGO_READ_ONLY_CACHE_REFRESH seconds, and a window at its start and end."
    )
    # An emergency switch must work while other settings are wrong: the
    # problems the checks find are shown as warnings instead.
    requires_system_checks = ()

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["on", "off", "status"])
        parser.add_argument(
            "--for",
            dest="duration",
            help="With `on`: turn it off again after this long (90, 30m, 2h, 1d; "
            "at most 30d).",
        )
        parser.add_argument(
            "--at",
            dest="starts",
            help="With `on`: turn it on at this time rather than now, at most 30 "
            "days ahead: an ISO 8601 date and time (2026-12-01T22:00, in the "
            "current time zone, or 2026-12-01T22:00+01:00), or HH:MM for the next "
            "such time. `read_only off` cancels it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        for option, given in (("--for", "duration"), ("--at", "starts")):
            if options[given] is not None and action != "on":
                raise CommandError(f"{option} goes with `on` only.")
        seconds = (
            None if options["duration"] is None else parse_duration(options["duration"])
        )
        starts = None if options["starts"] is None else parse_start(options["starts"])
        self.warn_about_checks()
        changed: SiteState | None
        try:
            before = SWITCH.read_record()
            if action == "on":
                changed = SWITCH.turn_on(seconds, starts)
            elif action == "off":
                changed = SWITCH.turn_off()
            else:
                changed = None
        except NotStored as error:
            raise CommandError(
                f"The site read-only switch was not turned {action}: {error}."
            ) from error
        except Exception as error:
            raise CommandError(
                f"Could not reach the cache {CONF.cache!r} "
                f"({type(error).__name__}: {error}); nothing was changed. Check that "
                "the cache server is up and DJANGO_READ_ONLY_CACHE names it."
            ) from error
        if changed is None:
            self.stdout.write(describe(before))
            return
        note = replaced(action, before, changed)
        log(changed, note)
        self.stdout.write(describe(changed))
        if note is not None:
            self.stdout.write(note)
        self.stdout.write(f"Web processes follow within {CONF.cache_refresh} s.")

    def warn_about_checks(self) -> None:
        try:
            found = checks.run_checks(include_deployment_checks=False)
        except Exception as error:
            found = [checks.Warning(f"The system checks failed to run ({error!r}).")]
        for message in found:
            if not message.is_silenced() and message.level >= checks.WARNING:
                self.stderr.write(f"Warning (the switch works anyway): {message}")


def log(state: SiteState, note: str | None) -> None:
    """What the command changed, with the OS user, for the audit log."""
    after = "" if note is None else f". {note}"
    coming = scheduled(state)
    if coming is not None:
        audit.logger.info("Site read-only mode: %s%s", coming, after)
    elif state.turned_on:
        until = "" if state.until is None else f" until {shown(state.until)}"
        audit.logger.info(
            "Site read-only mode turned on by %s%s%s", state.by, until, after
        )
    elif note is not None:
        # Only a window to come was cancelled: writes were enabled all along.
        audit.logger.info("Site read-only mode turned off by %s%s", state.by, after)
    else:
        audit.writes_enabled("`manage.py read_only off`")
