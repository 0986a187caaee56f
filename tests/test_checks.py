from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from readonly_scopes.checks import AUTHENTICATION, MIDDLEWARE


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
