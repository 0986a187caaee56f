"""
Naming databases: the ``using`` argument of the scopes, ``enable_writes()``
and ``disable_writes()``, checked where it is given, so that a typo fails at
the call instead of leaving the database meant unprotected.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

# What ``using`` takes: one alias, or several.
Using = str | Iterable[str] | None


def named_aliases(using: object, called: str) -> frozenset[str]:
    """The aliases ``using`` names, or a clear error for ``called`` if it names none."""
    aliases = (using,) if isinstance(using, str) else using
    if not isinstance(aliases, (tuple, list, set, frozenset)):
        raise TypeError(
            f"{called} takes using= as a database alias or a tuple of them, not "
            f"{using!r} ({type(using).__name__}). {existing()}"
        )
    if not aliases:
        raise ValueError(
            f"{called} got using={using!r}, which names no database; leave using "
            f"out for every database. {existing()}"
        )
    for alias in aliases:
        if not isinstance(alias, str):
            raise TypeError(
                f"{called} got using={using!r}, whose {alias!r} is not a database "
                f"alias (a string). {existing()}"
            )
        if alias not in settings.DATABASES:
            raise ValueError(
                f"{called} got using={using!r}, but {alias!r} is not in DATABASES. "
                f"{existing()}"
            )
    return frozenset(aliases)


def existing() -> str:
    return f"The databases are {shown(settings.DATABASES)}."


def shown(aliases: Iterable[str]) -> str:
    """Aliases as messages list them, in a stable order."""
    return ", ".join(map(repr, sorted(aliases)))


def using_text(aliases: frozenset[str]) -> str:
    """The argument as a call would spell it, for messages: ``using='replica'``."""
    ordered = sorted(aliases)
    return f"using={ordered[0]!r}" if len(ordered) == 1 else f"using={tuple(ordered)!r}"
