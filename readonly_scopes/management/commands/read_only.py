"""``manage.py read_only on|off|status``: the site-wide switch in the shared cache."""

from __future__ import annotations

import re
from typing import Any

from django.core import checks
from django.core.management.base import BaseCommand, CommandError, CommandParser

from readonly_scopes import audit
from readonly_scopes.conf import CONF
from readonly_scopes.switch import SWITCH, NotStored, SiteState, shown

UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION = re.compile(r"(\d+)([smhd]?)")
LONGEST = 30 * 86400


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
    since = "an unknown time" if state.since is None else shown(state.since)
    if state.ran_out and state.until is not None:
        return (
            f"Site read-only mode is OFF since {shown(state.until)}, when the period "
            f"set by {state.by} at {since} ran out."
        )
    if not state.on:
        return f"Site read-only mode is OFF since {since}, turned off by {state.by}."
    text = f"Site read-only mode is ON since {since}, turned on by {state.by}"
    if state.until is None:
        return text + "; it stays on until `read_only off`."
    return (
        text + f"; it turns itself off at {shown(state.until)}, "
        f"in {state.seconds_left()} s."
    )


class Command(BaseCommand):
    help = (
        "Turn the site-wide read-only mode on or off, or show it. The state is "
        "kept in the cache named by DJANGO_READ_ONLY_CACHE, so every process that "
        "runs ReadOnlySiteMiddleware follows it within "
        "DJANGO_READ_ONLY_CACHE_REFRESH seconds."
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

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if options["duration"] is not None and action != "on":
            raise CommandError("--for goes with `on` only.")
        seconds = (
            None if options["duration"] is None else parse_duration(options["duration"])
        )
        self.warn_about_checks()
        state: SiteState | None
        try:
            if action == "on":
                state = SWITCH.turn_on(seconds)
                audit.logger.info(
                    "Site read-only mode turned on by %s%s",
                    state.by,
                    "" if state.until is None else f" until {shown(state.until)}",
                )
            elif action == "off":
                state = SWITCH.turn_off()
                audit.writes_enabled("`manage.py read_only off`")
            else:
                state = SWITCH.read_record()
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
        self.stdout.write(describe(state))
        if action != "status":
            self.stdout.write(f"Web processes follow within {CONF.cache_refresh} s.")

    def warn_about_checks(self) -> None:
        try:
            found = checks.run_checks(include_deployment_checks=False)
        except Exception as error:
            found = [checks.Warning(f"The system checks failed to run ({error!r}).")]
        for message in found:
            if not message.is_silenced() and message.level >= checks.WARNING:
                self.stderr.write(f"Warning (the switch works anyway): {message}")
