"""
Which database aliases have the backstop: the databases' own read-only mode
following the effective state, set by ``DJANGO_READ_ONLY_ENFORCE``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from readonly_scopes.conf import setting
from readonly_scopes.state import EXTRA_WORK, recompute

SETTING = "DJANGO_READ_ONLY_ENFORCE"
SUPPORTED_VENDORS = frozenset({"sqlite", "postgresql", "mysql"})
UNSET = object()


class Enforcement:
    """
    The aliases the backstop covers in this process. ``on`` is read by the
    guard for every statement, so it is a plain attribute.
    """

    __slots__ = ("aliases", "on", "setting_given")

    def __init__(self) -> None:
        self.aliases: frozenset[str] = frozenset()
        self.on = False
        self.setting_given = False

    def cover(self, aliases: Iterable[str]) -> None:
        self.aliases = frozenset(aliases)
        self.on = bool(self.aliases)
        recompute()

    def load_from_configuration(self) -> None:
        value = getattr(settings, SETTING, UNSET)
        self.setting_given = value is not UNSET and value is not None
        if not self.setting_given or value is False or warn_only():
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

    def enable_for_shell(self) -> list[str]:
        """
        Cover every database whose backend supports it, unless the setting
        decides. Return the aliases covered.
        """
        if not self.setting_given and not warn_only():
            self.cover(
                alias
                for alias in settings.DATABASES
                if connections[alias].vendor in SUPPORTED_VENDORS
            )
        return sorted(self.aliases)


def warn_only() -> bool:
    # Statements that would be blocked run in warn-only mode: the database
    # must not refuse them either.
    return bool(setting("DJANGO_READ_ONLY_WARN_ONLY"))


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


ENFORCEMENT = Enforcement()
EXTRA_WORK.add_source(lambda: ENFORCEMENT.on)
