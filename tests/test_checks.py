from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

from readonly_scopes.checks import AUTHENTICATION, MIDDLEWARE, check_cache_timeouts


def ours(**overrides: Any) -> list[tuple[str, str]]:
    with override_settings(**overrides):
        return [
            (message.id or "", message.msg)
            for message in run_checks(include_deployment_checks=False)
            if (message.id or "").startswith("readonly_scopes.")
            and not message.is_silenced()
        ]


def test_valid_values_of_every_setting_pass() -> None:
    assert (
        ours(
            DJANGO_READ_ONLY_CACHE="default",
            DJANGO_READ_ONLY_CACHE_REFRESH=0.5,
            DJANGO_READ_ONLY_RETRY_AFTER=120,
            DJANGO_READ_ONLY_EXEMPT_PATHS=("/admin/", "/"),
            DJANGO_READ_ONLY_EXEMPT_URL_NAMES=["login"],
            DJANGO_READ_ONLY_EXEMPT_STAFF=True,
            DJANGO_READ_ONLY_EXEMPT_SUPERUSERS=False,
            DJANGO_READ_ONLY_EXEMPT="tests.site_views.exempt_header",
            DJANGO_READ_ONLY_ALLOWED_TABLES=[],
            DJANGO_READ_ONLY_WARN_ONLY=True,
        )
        == []
    )


def hints(**overrides: Any) -> list[str]:
    with override_settings(**overrides):
        return [
            message.hint or ""
            for message in run_checks(include_deployment_checks=False)
            if message.id == "readonly_scopes.E001"
        ]


@pytest.mark.parametrize(
    ("name", "value", "expected", "write"),
    [
        ("DJANGO_READ_ONLY_CACHE", None, "a cache alias, a key of CACHES", "default"),
        ("DJANGO_READ_ONLY_CACHE_REFRESH", 0, "a number of seconds above 0", 5),
        ("DJANGO_READ_ONLY_CACHE_REFRESH", "5", "a number of seconds above 0", 5),
        ("DJANGO_READ_ONLY_CACHE_REFRESH", "soon", "a number of seconds above 0", 5),
        ("DJANGO_READ_ONLY_CACHE_REFRESH", "-2", "a number of seconds above 0", 5),
        ("DJANGO_READ_ONLY_RETRY_AFTER", True, "a number of seconds above 0", 60),
        (
            "DJANGO_READ_ONLY_RETRY_AFTER",
            float("inf"),
            "a number of seconds above 0",
            60,
        ),
        (
            "DJANGO_READ_ONLY_EXEMPT_PATHS",
            "/admin/",
            "a list of path prefixes, each starting with '/'",
            ["/admin/"],
        ),
        (
            "DJANGO_READ_ONLY_EXEMPT_PATHS",
            ["/api/", "login/"],
            "a list of path prefixes, each starting with '/'",
            ["/api/", "/login/"],
        ),
        (
            "DJANGO_READ_ONLY_EXEMPT_PATHS",
            {"/admin/"},
            "a list of path prefixes, each starting with '/'",
            ["/admin/"],
        ),
        ("DJANGO_READ_ONLY_EXEMPT_URL_NAMES", [1], "a list of URL names", ["login"]),
        ("DJANGO_READ_ONLY_EXEMPT_STAFF", "yes", "True or False", True),
        ("DJANGO_READ_ONLY_EXEMPT_STAFF", "No", "True or False", False),
        (
            "DJANGO_READ_ONLY_ALLOWED_TABLES",
            "django_session",
            "a list of table names",
            ["django_session"],
        ),
        ("DJANGO_READ_ONLY_WARN_ONLY", 0, "True or False", False),
    ],
)
def test_invalid_values_are_errors_that_say_what_to_write(
    name: str, value: object, expected: str, write: object
) -> None:
    assert ours(**{name: value}) == [
        ("readonly_scopes.E001", f"{name} is {value!r}; it must be {expected}.")
    ]
    [hint] = hints(**{name: value})
    assert hint.startswith(f"Write, for example, {name} = {write!r}. Until then ")


def test_unknown_cache_alias() -> None:
    assert ours(DJANGO_READ_ONLY_CACHE="shared") == [
        (
            "readonly_scopes.E002",
            "DJANGO_READ_ONLY_CACHE is 'shared', which is not in CACHES ('default').",
        )
    ]


def test_local_memory_cache_does_not_reach_other_processes() -> None:
    messages = ours(SILENCED_SYSTEM_CHECKS=[])
    assert [id for id, _ in messages] == ["readonly_scopes.W001"]
    assert "keeps it in this process only" in messages[0][1]
    assert ours(SILENCED_SYSTEM_CHECKS=[], MIDDLEWARE=[]) == []


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("tests.site_views.missing", "cannot be imported"),
        ("tests.site_views.NOT_CALLABLE", "is not callable"),
    ],
)
def test_exempt_callable_must_import_and_be_callable(path: str, problem: str) -> None:
    messages = ours(DJANGO_READ_ONLY_EXEMPT=path)
    assert [id for id, _ in messages] == ["readonly_scopes.E003"]
    assert messages[0][1].startswith(
        f"DJANGO_READ_ONLY_EXEMPT is {path!r}, which {problem}"
    )


@pytest.mark.parametrize(
    "middleware",
    [
        [MIDDLEWARE],
        [MIDDLEWARE, AUTHENTICATION],
    ],
)
def test_user_exemption_needs_authentication_first(middleware: list[str]) -> None:
    messages = ours(
        DJANGO_READ_ONLY_EXEMPT_STAFF=True,
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            *middleware,
        ],
    )
    assert [id for id, _ in messages] == ["readonly_scopes.E004"]


def test_exempt_callable_that_imports_is_fine() -> None:
    assert ours(DJANGO_READ_ONLY_EXEMPT="tests.site_views.exempt_header") == []


def test_user_exemption_is_fine_without_the_middleware() -> None:
    assert ours(DJANGO_READ_ONLY_EXEMPT_SUPERUSERS=True, MIDDLEWARE=[]) == []
    assert ours(DJANGO_READ_ONLY_EXEMPT_SUPERUSERS=True) == []


def timeout_warnings(cache: dict[str, Any]) -> list[tuple[str, str]]:
    # The backends' libraries need not be installed for the check to read them.
    with override_settings(CACHES={"default": cache}):
        return [(message.id or "", message.msg) for message in check_cache_timeouts()]


REDIS = "django.core.cache.backends.redis.RedisCache"
PYMEMCACHE = "django.core.cache.backends.memcached.PyMemcacheCache"


@pytest.mark.parametrize(
    ("cache", "missing"),
    [
        (
            {"BACKEND": REDIS, "LOCATION": "redis://r:6379"},
            "socket_timeout or socket_connect_timeout",
        ),
        (
            {
                "BACKEND": REDIS,
                "LOCATION": "redis://r:6379",
                "OPTIONS": {"socket_timeout": 1},
            },
            "socket_connect_timeout",
        ),
        (
            {
                "BACKEND": REDIS,
                "LOCATION": [
                    "redis://a?socket_timeout=1&socket_connect_timeout=1",
                    "redis://b",
                ],
            },
            "socket_timeout or socket_connect_timeout",
        ),
        (
            {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://r"},
            "SOCKET_TIMEOUT or SOCKET_CONNECT_TIMEOUT",
        ),
        (
            {"BACKEND": PYMEMCACHE, "LOCATION": "m:11211", "OPTIONS": {"timeout": 0.5}},
            "connect_timeout",
        ),
    ],
)
def test_a_cache_without_timeouts_is_a_warning(
    cache: dict[str, Any], missing: str
) -> None:
    assert timeout_warnings(cache) == [
        (
            "readonly_scopes.W002",
            (
                "The site read-only switch is kept in cache 'default', which sets "
                f"no {missing}: if the cache server hangs (stopped rather than down), "
                "each request that reads the switch waits as long as the operating "
                "system lets a connection hang, minutes."
            ),
        )
    ]


@pytest.mark.parametrize(
    "cache",
    [
        {
            "BACKEND": REDIS,
            "LOCATION": "redis://r",
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        },
        {
            "BACKEND": REDIS,
            "LOCATION": "redis://a?socket_timeout=1&socket_connect_timeout=1,redis://b?socket_timeout=1&socket_connect_timeout=1",
        },
        {
            "BACKEND": PYMEMCACHE,
            "LOCATION": "m:11211",
            "OPTIONS": {"timeout": 0.5, "connect_timeout": 0.5},
        },
        {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "t"},
        # The example project's cache: a Path, which is neither a URL nor a list.
        {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": Path("/tmp/cache"),
        },
    ],
)
def test_a_cache_with_timeouts_is_fine(cache: dict[str, Any]) -> None:
    assert timeout_warnings(cache) == []


def test_the_timeout_warning_says_what_to_add() -> None:
    with override_settings(CACHES={"default": {"BACKEND": REDIS, "LOCATION": "r"}}):
        assert [id for id, _ in ours()] == ["readonly_scopes.W002"]
        [message] = check_cache_timeouts()
    assert message.hint == (
        'Add "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5} to '
        "CACHES['default']: a hung cache then costs at most that many seconds, and "
        "the switch keeps its last known state."
    )


def test_a_read_only_setting_for_some_databases_that_exist_passes(
    other_alias: str,
) -> None:
    assert ours(DJANGO_READ_ONLY=["default", other_alias]) == []
    assert ours(DJANGO_READ_ONLY=True) == []


def test_a_read_only_setting_naming_a_database_not_in_databases() -> None:
    aliases = ", ".join(map(repr, sorted(settings.DATABASES)))
    assert ours(DJANGO_READ_ONLY=["default", "replcia"]) == [
        (
            "readonly_scopes.E001",
            f"DJANGO_READ_ONLY names 'replcia', which is not in DATABASES ({aliases}).",
        )
    ]
    assert hints(DJANGO_READ_ONLY=("default", "replcia")) == [
        (
            "Write, for example, DJANGO_READ_ONLY = ['default']. Until then, only the "
            "databases it names that exist are read-only."
        )
    ]


def test_a_read_only_setting_that_is_not_a_list_of_aliases() -> None:
    [(check, message)] = ours(DJANGO_READ_ONLY=["default", 1])
    assert check == "readonly_scopes.E001"
    assert message.startswith(
        "DJANGO_READ_ONLY is ['default', 1]; it must be True, False or a list of "
        "database aliases"
    )
    assert hints(DJANGO_READ_ONLY=["default", 1]) == [
        (
            "Write, for example, DJANGO_READ_ONLY = ['default']. Until then, every "
            "database is read-only."
        )
    ]
