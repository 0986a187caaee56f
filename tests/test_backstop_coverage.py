from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from readonly_scopes import disable_writes
from readonly_scopes.backstop import coverage
from readonly_scopes.backstop.coverage import COVERAGE
from readonly_scopes.console import status_line
from readonly_scopes.flag import load_flag
from readonly_scopes.state import FLAG


def test_off_in_a_writable_process_unless_the_setting_says_so() -> None:
    assert not hasattr(settings, "DJANGO_READ_ONLY_ENFORCE")
    assert COVERAGE.on is False
    assert COVERAGE.aliases == frozenset()
    for value in (False, None):
        with override_settings(DJANGO_READ_ONLY_ENFORCE=value):
            assert COVERAGE.on is False


def test_true_covers_every_database() -> None:
    with override_settings(DJANGO_READ_ONLY_ENFORCE=True):
        assert COVERAGE.on is True
        assert COVERAGE.aliases == frozenset(settings.DATABASES)
    assert COVERAGE.on is False


@pytest.mark.parametrize("kind", [list, tuple, set, frozenset])
def test_a_collection_of_aliases_covers_those(kind: Any) -> None:
    with override_settings(DJANGO_READ_ONLY_ENFORCE=kind(["default"])):
        assert COVERAGE.aliases == frozenset({"default"})
        assert COVERAGE.on is True
    with override_settings(DJANGO_READ_ONLY_ENFORCE=kind()):
        assert COVERAGE.on is False


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
    assert COVERAGE.on is False


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
        coverage,
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


SHELL = "manage.py shell --read-only"


@pytest.mark.usefixtures("oracle")
def test_the_shell_covers_supported_databases_when_the_setting_is_absent() -> None:
    FLAG.set(True, SHELL)
    assert COVERAGE.cover_read_only_process(SHELL) == sorted(
        alias for alias in settings.DATABASES if alias != "legacy"
    )
    FLAG.set(False, "the test")
    COVERAGE.load_from_configuration()
    assert COVERAGE.on is False


@pytest.mark.parametrize(
    ("value", "covered"), [(False, []), (["default"], ["default"])]
)
def test_the_setting_decides_for_the_shell_when_given(
    value: object, covered: list[str]
) -> None:
    FLAG.set(True, SHELL)
    with override_settings(DJANGO_READ_ONLY_ENFORCE=value):
        assert COVERAGE.cover_read_only_process(SHELL) == covered


def test_a_process_read_only_by_its_environment_is_covered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DJANGO_READ_ONLY", "1")
    load_flag()
    COVERAGE.load_from_configuration()
    assert COVERAGE.aliases == frozenset(settings.DATABASES)


@pytest.mark.parametrize(
    ("value", "covered"),
    [(True, True), (False, False), (None, False)],
)
def test_the_read_only_setting_brings_the_default_coverage(
    value: object, covered: bool
) -> None:
    with override_settings(DJANGO_READ_ONLY=value):
        assert COVERAGE.on is covered
    assert COVERAGE.on is False


def test_true_false_and_a_list_keep_their_meaning_in_a_read_only_process() -> None:
    with override_settings(DJANGO_READ_ONLY=True):
        with override_settings(DJANGO_READ_ONLY_ENFORCE=False):
            assert COVERAGE.on is False
        with override_settings(DJANGO_READ_ONLY_ENFORCE=["default"]):
            assert COVERAGE.aliases == frozenset({"default"})
        with override_settings(DJANGO_READ_ONLY_ENFORCE=None):
            assert COVERAGE.aliases == frozenset(settings.DATABASES)
        with override_settings(DJANGO_READ_ONLY_WARN_ONLY=True):
            assert COVERAGE.on is False


def test_flag_set_at_run_time_is_not_configuration() -> None:
    disable_writes()
    COVERAGE.load_from_configuration()
    assert COVERAGE.on is False


def test_the_banner_says_whether_the_databases_refuse_writes_too() -> None:
    with override_settings(DJANGO_READ_ONLY=True):
        assert status_line(ipython=False).endswith(
            "The databases refuse writes too, in their own read-only mode (backstop "
            f"on: {', '.join(sorted(settings.DATABASES))})."
        )
        with override_settings(DJANGO_READ_ONLY_ENFORCE=False):
            assert status_line(ipython=False).endswith(
                " The databases themselves do not refuse writes (backstop off, "
                "DJANGO_READ_ONLY_ENFORCE), so the raw driver connection can write."
            )
    assert "backstop" not in status_line(ipython=False)


def test_a_read_only_setting_for_some_databases_covers_those_only(
    other_alias: str,
) -> None:
    with override_settings(DJANGO_READ_ONLY=[other_alias]):
        assert COVERAGE.aliases == frozenset({other_alias})
        # The setting for the backstop still decides when given.
        with override_settings(DJANGO_READ_ONLY_ENFORCE=True):
            assert COVERAGE.aliases == frozenset(settings.DATABASES)
    assert COVERAGE.on is False


def test_the_banner_names_the_databases_a_flag_for_some_makes_read_only(
    other_alias: str,
) -> None:
    with override_settings(DJANGO_READ_ONLY=[other_alias]):
        assert status_line(ipython=True) == (
            f"readonly_scopes: database writes are BLOCKED on {other_alias!r} "
            "(read-only), and allowed on the other databases. Allow them with "
            f"readonly_scopes.enable_writes(using={other_alias!r}), or for one "
            f"block with `with readonly_scopes.temp_writes(using={other_alias!r}):`."
            " The databases refuse writes too, in their own read-only mode "
            f"(backstop on: {other_alias})."
        )
        disable_writes(using="default")
        assert status_line(ipython=False).startswith(
            f"readonly_scopes: database writes are BLOCKED on 'default', "
            f"{other_alias!r} (read-only), and allowed on the other databases. "
            "Allow them with readonly_scopes.enable_writes(using=...), or"
        )
