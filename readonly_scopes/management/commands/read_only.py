"""``manage.py read_only on|off|status``: the site-wide switch in the shared cache."""

from __future__ import annotations

import re
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from readonly_scopes import audit
from readonly_scopes.conf import setting
from readonly_scopes.switch import SWITCH, SiteState

UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION = re.compile(r"(\d+)([smhd]?)")


def parse_duration(text: str) -> int:
    match = DURATION.fullmatch(text.strip().lower())
    if match is None or int(match[1]) == 0:
        raise CommandError(
            f"--for {text!r} is not a duration: give a whole number of seconds, or "
            "one with a unit s, m, h or d, above zero (for example 90, 30m, 2h)."
        )
    return int(match[1]) * UNITS[match[2]]


def describe(state: SiteState) -> str:
    if not state.on:
        return "Site read-only mode is OFF."
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(state.since or 0))
    text = f"Site read-only mode is ON since {since}, turned on by {state.by}"
    left = state.seconds_left()
    if left is None:
        return text + "; it stays on until `read_only off`."
    return text + f"; it turns itself off in {left} s."


class Command(BaseCommand):
    help = (
        "Turn the site-wide read-only mode on or off, or show it. The state is "
        "kept in the cache named by DJANGO_READ_ONLY_CACHE, so every process that "
        "runs ReadOnlySiteMiddleware follows it within "
        "DJANGO_READ_ONLY_CACHE_REFRESH seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["on", "off", "status"])
        parser.add_argument(
            "--for",
            dest="duration",
            help="With `on`: turn it off again after this long (90, 30m, 2h, 1d).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if options["duration"] is not None and action != "on":
            raise CommandError("--for goes with `on` only.")
        seconds = (
            None if options["duration"] is None else parse_duration(options["duration"])
        )
        try:
            if action == "on":
                state = SWITCH.turn_on(seconds)
                audit.logger.info("Site read-only mode turned on by %s", state.by)
            elif action == "off":
                state = SWITCH.turn_off()
                audit.writes_enabled("`manage.py read_only off`")
            else:
                state = SWITCH.read_now()
        except Exception as error:
            raise CommandError(
                f"Could not reach the cache {setting('DJANGO_READ_ONLY_CACHE')!r} "
                f"({type(error).__name__}: {error}); nothing was changed. Check that "
                "the cache server is up and DJANGO_READ_ONLY_CACHE names it."
            ) from error
        self.stdout.write(describe(state))
        if action != "status":
            self.stdout.write(
                "Web processes follow within "
                f"{setting('DJANGO_READ_ONLY_CACHE_REFRESH')} s."
            )
