from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from readonly_scopes import enforcement
from readonly_scopes.enforcement import ENFORCEMENT


def test_off_unless_the_setting_says_so() -> None:
    assert not hasattr(settings, "DJANGO_READ_ONLY_ENFORCE")
    assert ENFORCEMENT.on is False
    assert ENFORCEMENT.aliases == frozenset()
    for value in (False, None):
        with override_settings(DJANGO_READ_ONLY_ENFORCE=value):
            assert ENFORCEMENT.on is False


def test_true_covers_every_database() -> None:
    with override_settings(DJANGO_READ_ONLY_ENFORCE=True):
        assert ENFORCEMENT.on is True
        assert ENFORCEMENT.aliases == frozenset(settings.DATABASES)
    assert ENFORCEMENT.on is False


@pytest.mark.parametrize("kind", [list, tuple, set, frozenset])
def test_a_collection_of_aliases_covers_those(kind: Any) -> None:
    with override_settings(DJANGO_READ_ONLY_ENFORCE=kind(["default"])):
        assert ENFORCEMENT.aliases == frozenset({"default"})
        assert ENFORCEMENT.on is True
    with override_settings(DJANGO_READ_ONLY_ENFORCE=kind()):
        assert ENFORCEMENT.on is False


@pytest.mark.parametrize("value", ["default", 1, {"default": True}, ["default", 2]])
def test_a_value_of_the_wrong_type_says_what_is_expected(value: object) -> None:
    with (
        pytest.raises(ImproperlyConfigured) as excinfo,
        override_settings(DJANGO_READ_ONLY_ENFORCE=value),
    ):
        pass  # pragma: no cover
    assert str(excinfo.value) == (
        "DJANGO_READ_ONLY_ENFORCE must be True, False or a list of database "
        f"aliases such as ['default'], not {value!r} ({type(value).__name__})."
    )
    assert ENFORCEMENT.on is False


def test_an_unknown_alias_is_named() -> None:
    with (
        pytest.raises(ImproperlyConfigured) as excinfo,
        override_settings(DJANGO_READ_ONLY_ENFORCE=["default", "replica"]),
    ):
        pass  # pragma: no cover
    assert str(excinfo.value).startswith(
        "DJANGO_READ_ONLY_ENFORCE names the database 'replica', which is not in "
        "DATABASES ('default'"
    )


@pytest.fixture
def oracle(monkeypatch: pytest.MonkeyPatch) -> None:
    """An extra alias whose backend has no read-only mode the backstop knows."""
    databases = {**settings.DATABASES, "legacy": {"ENGINE": "oracle"}}
    monkeypatch.setattr(settings, "DATABASES", databases)
    vendors = dict.fromkeys(databases, "sqlite")
    vendors["legacy"] = "oracle"
    monkeypatch.setattr(
        enforcement,
        "connections",
        {alias: SimpleNamespace(vendor=vendor) for alias, vendor in vendors.items()},
    )


@pytest.mark.usefixtures("oracle")
@pytest.mark.parametrize(
    ("value", "advice"),
    [
        (True, "List the aliases to enforce instead of True."),
        (["legacy"], "Remove 'legacy' from the list."),
    ],
)
def test_an_unsupported_backend_is_refused(value: object, advice: str) -> None:
    with (
        pytest.raises(ImproperlyConfigured) as excinfo,
        override_settings(DJANGO_READ_ONLY_ENFORCE=value),
    ):
        pass  # pragma: no cover
    assert str(excinfo.value) == (
        "DJANGO_READ_ONLY_ENFORCE covers the database 'legacy', whose backend "
        "(oracle) has no read-only mode the backstop can use; it supports "
        f"SQLite, PostgreSQL and MariaDB/MySQL. {advice}"
    )


@pytest.mark.usefixtures("oracle")
def test_the_shell_covers_supported_databases_when_the_setting_is_absent() -> None:
    assert ENFORCEMENT.enable_for_shell() == sorted(
        alias for alias in settings.DATABASES if alias != "legacy"
    )
    ENFORCEMENT.cover(())


@pytest.mark.parametrize(
    ("value", "covered"), [(False, []), (["default"], ["default"])]
)
def test_the_setting_decides_for_the_shell_when_given(
    value: object, covered: list[str]
) -> None:
    with override_settings(DJANGO_READ_ONLY_ENFORCE=value):
        assert ENFORCEMENT.enable_for_shell() == covered
