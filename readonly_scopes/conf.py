"""The live-site settings, their defaults, and what makes a value valid."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings


def is_string_list(value: object) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


def is_positive_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def is_bool(value: object) -> bool:
    return isinstance(value, bool)


def is_optional_string(value: object) -> bool:
    return value is None or isinstance(value, str)


# Name: (default, validator, what a valid value is).
SETTINGS: dict[str, tuple[Any, Callable[[object], bool], str]] = {
    "DJANGO_READ_ONLY_CACHE": (
        "default",
        lambda v: isinstance(v, str),
        "a cache alias",
    ),
    "DJANGO_READ_ONLY_CACHE_REFRESH": (
        5,
        is_positive_number,
        "a number of seconds > 0",
    ),
    "DJANGO_READ_ONLY_FAIL_CLOSED": (False, is_bool, "True or False"),
    "DJANGO_READ_ONLY_RETRY_AFTER": (60, is_positive_number, "a number of seconds > 0"),
    "DJANGO_READ_ONLY_EXEMPT_PATHS": ((), is_string_list, "a list of path prefixes"),
    "DJANGO_READ_ONLY_EXEMPT_URL_NAMES": ((), is_string_list, "a list of URL names"),
    "DJANGO_READ_ONLY_EXEMPT_STAFF": (False, is_bool, "True or False"),
    "DJANGO_READ_ONLY_EXEMPT_SUPERUSERS": (False, is_bool, "True or False"),
    "DJANGO_READ_ONLY_EXEMPT": (
        None,
        is_optional_string,
        "None or the dotted path of a function taking the request",
    ),
    "DJANGO_READ_ONLY_ALLOWED_TABLES": ((), is_string_list, "a list of table names"),
    "DJANGO_READ_ONLY_WARN_ONLY": (False, is_bool, "True or False"),
    # Processes other than web requests (commands, task workers): fleet.py.
    "DJANGO_READ_ONLY_FOLLOW_SWITCH": (False, is_bool, "True or False"),
    "DJANGO_READ_ONLY_EXEMPT_COMMANDS": (
        ("migrate",),
        is_string_list,
        "a list of management command names",
    ),
    "DJANGO_READ_ONLY_EXEMPT_TASKS": ((), is_string_list, "a list of task names"),
    # The database's own read-only mode, met during a failover: failover.py.
    "DJANGO_READ_ONLY_FOLLOW_DATABASE": (False, is_bool, "True or False"),
    "DJANGO_READ_ONLY_DATABASE_PERIOD": (
        15,
        is_positive_number,
        "a number of seconds > 0",
    ),
    "DJANGO_READ_ONLY_DATABASE_SWITCH": (False, is_bool, "True or False"),
}


def setting(name: str) -> Any:
    """The setting's value, or its default when it is absent or invalid."""
    default, valid, _ = SETTINGS[name]
    value = getattr(settings, name, default)
    # Invalid values are reported by the system checks; until they are
    # fixed, running with the default is safer than crashing every request.
    return value if valid(value) else default


def invalid_settings() -> list[tuple[str, object, str]]:
    """(name, value, what is expected) for every setting with a wrong value."""
    problems = []
    for name, (_, valid, expected) in SETTINGS.items():
        if hasattr(settings, name) and not valid(getattr(settings, name)):
            problems.append((name, getattr(settings, name), expected))
    return problems
