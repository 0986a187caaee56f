"""
Every setting readonly_scopes reads: its default, what a valid value is, and
its value now.

Values are read once, when the app is ready, and again when Django says a
setting changed (``override_settings`` does). A value that breaks its rule is
logged as an ERROR that says what to write, and the default applies, so that
a web process, where system checks do not run, says so too; the system check
``readonly_scopes.E001`` reports the same problems.

``DJANGO_READ_ONLY_ENFORCE`` is the backstop's to parse (it names databases).
``DJANGO_READ_ONLY`` has a rule of its own below, as it falls back to the
environment variable and fails closed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from django.conf import settings

from readonly_scopes import audit
from readonly_scopes.state import ENVIRONMENT_SOURCE, SETTING_SOURCE, UNSET_SOURCE

UNSET = object()


def is_number_of_seconds(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def suggest_seconds(value: object, default: object) -> object:
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return default
        if is_number_of_seconds(number):
            return int(number) if number.is_integer() else number
    return default


def is_duration(value: object) -> bool:
    return is_number_of_seconds(value) or (
        isinstance(value, timedelta) and value > timedelta(0)
    )


def is_string_list(value: object) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


def suggest_string_list(example: list[str]) -> Callable[[object, object], object]:
    def suggest(value: object, default: object) -> object:
        return [value] if isinstance(value, str) else example

    return suggest


def is_path_prefix_list(value: object) -> bool:
    # Request paths always start with "/": "admin/" would never match.
    return isinstance(value, (list, tuple)) and all(
        isinstance(v, str) and v.startswith("/") for v in value
    )


def suggest_path_prefixes(value: object, default: object) -> object:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return ["/" + v.lstrip("/") for v in value]
    return ["/admin/"]


def is_bool(value: object) -> bool:
    return isinstance(value, bool)


def suggest_bool(value: object, default: object) -> object:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)


def is_optional_string(value: object) -> bool:
    return value is None or isinstance(value, str)


def is_string(value: object) -> bool:
    return isinstance(value, str)


@dataclass(frozen=True)
class Rule:
    """What one setting may be, and what to suggest instead of a wrong value."""

    attribute: str
    default: object
    valid: Callable[[object], bool]
    expected: str
    suggest: Callable[[object, object], object]
    # The value the typed attribute holds, from a valid one.
    convert: Callable[[object], object] | None = None


def keep_default(value: object, default: object) -> object:
    return default


SAFE_METHOD_MODES = ("warn", "block")


def is_safe_methods_mode(value: object) -> bool:
    # None and False read naturally in settings, "off" where the value comes
    # from an environment variable.
    return (
        value is None
        or value is False
        or (isinstance(value, str) and value in ("off", *SAFE_METHOD_MODES))
    )


def suggest_safe_methods_mode(value: object, default: object) -> object:
    if isinstance(value, str) and value.strip().lower() in ("off", *SAFE_METHOD_MODES):
        return value.strip().lower()
    return "warn"


def safe_methods_mode(value: object) -> object:
    """A valid value as the middleware reads it: the mode, or None for off."""
    return value if value in SAFE_METHOD_MODES else None


def in_seconds(value: object) -> object:
    """A valid duration as a number of seconds, also when it is a timedelta."""
    return value.total_seconds() if isinstance(value, timedelta) else value


def example(text: object) -> Callable[[object, object], object]:
    return lambda value, default: text


RULES: dict[str, Rule] = {
    "DJANGO_READ_ONLY_CACHE": Rule(
        "cache", "default", is_string, "a cache alias, a key of CACHES", keep_default
    ),
    "DJANGO_READ_ONLY_CACHE_REFRESH": Rule(
        "cache_refresh",
        5,
        is_number_of_seconds,
        "a number of seconds above 0",
        suggest_seconds,
    ),
    "DJANGO_READ_ONLY_FAIL_CLOSED": Rule(
        "fail_closed", False, is_bool, "True or False", suggest_bool
    ),
    "DJANGO_READ_ONLY_RETRY_AFTER": Rule(
        "retry_after",
        60,
        is_number_of_seconds,
        "a number of seconds above 0",
        suggest_seconds,
    ),
    # How long before a scheduled window the banner announces it.
    "DJANGO_READ_ONLY_ANNOUNCE_AHEAD": Rule(
        "announce_ahead",
        86400,
        is_duration,
        "a number of seconds above 0, or a datetime.timedelta above 0",
        suggest_seconds,
        convert=in_seconds,
    ),
    "DJANGO_READ_ONLY_EXEMPT_PATHS": Rule(
        "exempt_paths",
        [],
        is_path_prefix_list,
        "a list of path prefixes, each starting with '/'",
        suggest_path_prefixes,
    ),
    "DJANGO_READ_ONLY_EXEMPT_URL_NAMES": Rule(
        "exempt_url_names",
        [],
        is_string_list,
        "a list of URL names",
        suggest_string_list(["login"]),
    ),
    "DJANGO_READ_ONLY_EXEMPT_STAFF": Rule(
        "exempt_staff", False, is_bool, "True or False", suggest_bool
    ),
    "DJANGO_READ_ONLY_EXEMPT_SUPERUSERS": Rule(
        "exempt_superusers", False, is_bool, "True or False", suggest_bool
    ),
    "DJANGO_READ_ONLY_EXEMPT": Rule(
        "exempt",
        None,
        is_optional_string,
        "None or the dotted path of a function taking the request",
        example("myproject.maintenance.may_write"),
    ),
    "DJANGO_READ_ONLY_ALLOWED_TABLES": Rule(
        "allowed_tables",
        [],
        is_string_list,
        "a list of table names",
        suggest_string_list(["django_session"]),
    ),
    "DJANGO_READ_ONLY_WARN_ONLY": Rule(
        "warn_only", False, is_bool, "True or False", suggest_bool
    ),
    # GET, HEAD, OPTIONS and TRACE requests while the site is writable.
    "DJANGO_READ_ONLY_SAFE_METHODS": Rule(
        "safe_methods",
        None,
        is_safe_methods_mode,
        "'warn', 'block' or 'off' (None and False mean off too)",
        suggest_safe_methods_mode,
        convert=safe_methods_mode,
    ),
    # Processes other than web requests (commands, task workers): fleet.py.
    "DJANGO_READ_ONLY_FOLLOW_SWITCH": Rule(
        "follow_switch", False, is_bool, "True or False", suggest_bool
    ),
    "DJANGO_READ_ONLY_EXEMPT_COMMANDS": Rule(
        "exempt_commands",
        ["migrate"],
        is_string_list,
        "a list of management command names",
        suggest_string_list(["migrate"]),
    ),
    "DJANGO_READ_ONLY_EXEMPT_TASKS": Rule(
        "exempt_tasks",
        [],
        is_string_list,
        "a list of task names",
        suggest_string_list(["myproject.tasks.send_digest"]),
    ),
    # The database's own read-only mode, met during a failover: failover.py.
    "DJANGO_READ_ONLY_FOLLOW_DATABASE": Rule(
        "follow_database", False, is_bool, "True or False", suggest_bool
    ),
    "DJANGO_READ_ONLY_DATABASE_PERIOD": Rule(
        "database_period",
        15,
        is_number_of_seconds,
        "a number of seconds above 0",
        suggest_seconds,
    ),
    "DJANGO_READ_ONLY_DATABASE_SWITCH": Rule(
        "database_switch", False, is_bool, "True or False", suggest_bool
    ),
    # Django's admin while the site is read-only: admin.py.
    "DJANGO_READ_ONLY_ADMIN_VIEW_ONLY": Rule(
        "admin_view_only", True, is_bool, "True or False", suggest_bool
    ),
}


class Problem(NamedTuple):
    """A setting whose value breaks its rule."""

    name: str
    value: object
    rule: Rule

    def what(self) -> str:
        return f"{self.name} is {self.value!r}; it must be {self.rule.expected}."

    def __str__(self) -> str:
        return f"{self.what()} {self.fix()}"

    def fix(self) -> str:
        suggestion = self.rule.suggest(self.value, self.rule.default)
        return (
            f"Write, for example, {self.name} = {suggestion!r}. Until then its "
            f"default, {self.rule.default!r}, applies."
        )


def problem(name: str) -> Problem | None:
    """What is wrong with a setting, or None when it is absent or valid."""
    rule = RULES[name]
    value = getattr(settings, name, UNSET)
    if value is UNSET or rule.valid(value):
        return None
    return Problem(name, value, rule)


def problems() -> list[Problem]:
    """Every setting whose value breaks its rule, for the system checks."""
    return [found for name in RULES if (found := problem(name)) is not None]


class Conf:
    """
    The value of each setting, as a typed attribute: read for every request,
    so a plain attribute, never a look-up in Django's settings, which costs
    microseconds for a setting the project does not define.
    """

    __slots__ = tuple(rule.attribute for rule in RULES.values())

    cache: str
    cache_refresh: float
    fail_closed: bool
    retry_after: float
    announce_ahead: float  # Seconds, also when the setting is a timedelta.
    exempt_paths: tuple[str, ...]
    exempt_url_names: tuple[str, ...]
    exempt_staff: bool
    exempt_superusers: bool
    exempt: str | None
    allowed_tables: tuple[str, ...]
    warn_only: bool
    # None when off.
    safe_methods: Literal["warn", "block"] | None
    follow_switch: bool
    exempt_commands: tuple[str, ...]
    exempt_tasks: tuple[str, ...]
    follow_database: bool
    database_period: float
    database_switch: bool
    admin_view_only: bool

    def load(self) -> None:
        """Read every setting, logging each invalid one."""
        for name in RULES:
            self.reload(name)

    def reload(self, name: str) -> None:
        rule = RULES[name]
        value = getattr(settings, name, rule.default)
        if not rule.valid(value):
            audit.invalid_setting(str(Problem(name, value, rule)))
            value = rule.default
        # Lists become tuples: the values are shared by every request.
        if isinstance(value, list):
            value = tuple(value)
        if rule.convert is not None:
            value = rule.convert(value)
        setattr(self, rule.attribute, value)

    if not TYPE_CHECKING:  # pragma: no branch
        # Only for code that runs before the app is ready (the slots are not
        # filled yet): read everything then. Hidden from mypy, which would
        # otherwise accept any attribute name.
        def __getattr__(self, attribute: str) -> Any:
            if attribute not in self.__slots__:
                raise AttributeError(attribute)
            self.load()
            return object.__getattribute__(self, attribute)


CONF = Conf()


class ReadOnlyConfiguration(NamedTuple):
    """What DJANGO_READ_ONLY asks for."""

    read_only: bool
    # The databases it makes read-only, the others writable; None: every one.
    using: frozenset[str] | None
    source: str


READ_ONLY_EXPECTED = (
    "True, False or a list of database aliases, the keys of DATABASES, to make "
    "only those read-only"
)


def read_only_configuration() -> ReadOnlyConfiguration:
    """
    What DJANGO_READ_ONLY says, and where it was found: the setting wins
    whenever it exists, even when it is falsy, so that a project can force
    writes on regardless of the environment. A list (or tuple, or set) of
    aliases makes those databases read-only; any other value counts by its
    truth, as in django-read-only. The environment variable has no form for
    some databases: any non-empty value already means every one.
    """
    value = getattr(settings, "DJANGO_READ_ONLY", UNSET)
    if value is UNSET:
        value = os.environ.get("DJANGO_READ_ONLY", "")
        # An empty value is no value: the log must not blame the variable.
        return ReadOnlyConfiguration(
            bool(value), None, ENVIRONMENT_SOURCE if value else UNSET_SOURCE
        )
    if not isinstance(value, (list, tuple, set, frozenset)) or not value:
        return ReadOnlyConfiguration(bool(value), None, SETTING_SOURCE)
    found = read_only_problem()
    if found is not None:
        audit.invalid_setting(str(found))
        if found.unknown is None:
            # Not aliases at all: it asked for read-only mode somewhere, so
            # every database, rather than none, until it is fixed.
            return ReadOnlyConfiguration(True, None, SETTING_SOURCE)
    known = frozenset(value) & frozenset(settings.DATABASES)
    return ReadOnlyConfiguration(bool(known), known or None, SETTING_SOURCE)


class ReadOnlyProblem(NamedTuple):
    """A list in DJANGO_READ_ONLY that does not name databases only."""

    value: Collection[object]
    # The names that are not in DATABASES; None when the list is not all names.
    unknown: list[str] | None

    def what(self) -> str:
        aliases = ", ".join(map(repr, sorted(settings.DATABASES)))
        if self.unknown is None:
            return (
                f"DJANGO_READ_ONLY is {self.value!r}; it must be {READ_ONLY_EXPECTED} "
                f"({aliases})."
            )
        return (
            f"DJANGO_READ_ONLY names {', '.join(map(repr, self.unknown))}, which "
            f"{'is' if len(self.unknown) == 1 else 'are'} not in DATABASES "
            f"({aliases})."
        )

    def fix(self) -> str:
        known = [
            alias
            for alias in self.value
            if isinstance(alias, str) and alias in settings.DATABASES
        ]
        example = known or [next(iter(settings.DATABASES))]
        until = (
            "every database is read-only"
            if self.unknown is None
            else "only the databases it names that exist are read-only"
        )
        return (
            f"Write, for example, DJANGO_READ_ONLY = {example!r}. Until then, {until}."
        )

    def __str__(self) -> str:
        return f"{self.what()} {self.fix()}"


def read_only_problem() -> ReadOnlyProblem | None:
    """What is wrong with a list in DJANGO_READ_ONLY, for the log and the checks."""
    value = getattr(settings, "DJANGO_READ_ONLY", None)
    if not isinstance(value, (list, tuple, set, frozenset)):
        return None
    if not all(isinstance(alias, str) and alias for alias in value):
        return ReadOnlyProblem(value, None)
    unknown = sorted(alias for alias in value if alias not in settings.DATABASES)
    return ReadOnlyProblem(value, unknown) if unknown else None
