"""
Which database aliases the backstop covers: ``DJANGO_READ_ONLY_ENFORCE`` when
it is given; when it is absent, every supported alias that a process's
configuration makes read-only (``DJANGO_READ_ONLY`` at start-up, for every
database or some, or ``shell --read-only``), and none otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from readonly_scopes.conf import CONF
from readonly_scopes.state import (
    ENVIRONMENT_SOURCE,
    EXTRA_WORK,
    FLAG,
    SETTING_SOURCE,
    recompute,
)

SETTING = "DJANGO_READ_ONLY_ENFORCE"
SUPPORTED_VENDORS = frozenset({"sqlite", "postgresql", "mysql"})
UNSET = object()


class Coverage:
    """
    The aliases the backstop covers in this process. ``on`` is read by the
    guard for every statement, so it is a plain attribute.
    """

    __slots__ = ("aliases", "on", "read_only_sources")

    def __init__(self) -> None:
        self.aliases: frozenset[str] = frozenset()
        self.on = False
        # What may set the process flag for the default to cover every alias.
        self.read_only_sources = {SETTING_SOURCE, ENVIRONMENT_SOURCE}

    def cover(self, aliases: Iterable[str]) -> None:
        self.aliases = frozenset(aliases)
        self.on = bool(self.aliases)
        recompute()

    def load_from_configuration(self) -> None:
        value = getattr(settings, SETTING, UNSET)
        if value is UNSET or value is None:
            self.cover(
                [alias for alias in supported_aliases() if FLAG.blocks(alias)]
                if self.by_default()
                else ()
            )
        elif value is False or warn_only():
            self.cover(())
        elif value is True:
            self.cover(checked(settings.DATABASES, every_alias=True))
        elif isinstance(value, (list, tuple, set, frozenset)) and all(
            isinstance(alias, str) for alias in value
        ):
            self.cover(checked(value, every_alias=False))
        else:
            raise ImproperlyConfigured(
                f"{SETTING} must be True, False or a list of database aliases such "
                f"as ['default'], not {value!r} ({type(value).__name__})."
            )

    def by_default(self) -> bool:
        # A process made read-only on purpose gets the strongest protection
        # without asking; a writable one (a web server, even with the live
        # site switch) pays nothing unless the setting asks for it.
        return (
            not FLAG.writes_pass
            and FLAG.source in self.read_only_sources
            and not warn_only()
        )

    def cover_read_only_process(self, source: str) -> list[str]:
        """
        Count the process flag set by ``source`` as configuration (what
        ``shell --read-only`` does), and reload. Return the aliases covered.
        """
        self.read_only_sources.add(source)
        self.load_from_configuration()
        return sorted(self.aliases)


def warn_only() -> bool:
    # Statements that would be blocked run in warn-only mode: the database
    # must not refuse them either.
    return CONF.warn_only


def supported_aliases() -> list[str]:
    return [
        alias
        for alias in settings.DATABASES
        if connections[alias].vendor in SUPPORTED_VENDORS
    ]


def checked(aliases: Iterable[str], every_alias: bool) -> list[str]:
    result = []
    for alias in aliases:
        if alias not in settings.DATABASES:
            raise ImproperlyConfigured(
                f"{SETTING} names the database {alias!r}, which is not in DATABASES "
                f"({', '.join(map(repr, settings.DATABASES))})."
            )
        vendor = connections[alias].vendor
        if vendor not in SUPPORTED_VENDORS:
            how = (
                "List the aliases to enforce instead of True"
                if every_alias
                else f"Remove {alias!r} from the list"
            )
            raise ImproperlyConfigured(
                f"{SETTING} covers the database {alias!r}, whose backend "
                f"({vendor}) has no read-only mode the backstop can use; it "
                f"supports SQLite, PostgreSQL and MariaDB/MySQL. {how}."
            )
        result.append(alias)
    return result


COVERAGE = Coverage()
EXTRA_WORK.add_source(lambda: COVERAGE.on)
