from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

import readonly_scopes
from readonly_scopes import (
    disable_writes,
    enable_writes,
    read_only,
    temp_writes,
    writes_allowed,
)
from readonly_scopes.flag import load_flag
from readonly_scopes.state import (
    AUDIT,
    ENVIRONMENT_SOURCE,
    EXTRA_WORK,
    FLAG,
    SETTING_SOURCE,
    UNSET_SOURCE,
    decide,
)
from readonly_scopes.switch import SWITCH


def test_writes_allowed_by_default() -> None:
    assert writes_allowed()


@pytest.mark.parametrize(
    ("value", "read_only"), [("1", True), ("yes", True), ("0", True), ("", False)]
)
def test_environment_variable_counts_when_non_empty(
    monkeypatch: pytest.MonkeyPatch, value: str, read_only: bool
) -> None:
    monkeypatch.setenv("DJANGO_READ_ONLY", value)
    load_flag()
    assert writes_allowed() is not read_only
    # An empty value is no value: the log must not blame the variable.
    assert FLAG.source == (ENVIRONMENT_SOURCE if value else UNSET_SOURCE)


@pytest.mark.parametrize(
    ("value", "read_only"), [(True, True), (0, False), ("", False)]
)
def test_setting_wins_over_environment(
    monkeypatch: pytest.MonkeyPatch, value: object, read_only: bool
) -> None:
    monkeypatch.setenv("DJANGO_READ_ONLY", "" if read_only else "1")
    with override_settings(DJANGO_READ_ONLY=value):
        assert writes_allowed() is not read_only
        assert FLAG.source == SETTING_SOURCE


def test_setting_change_is_reread_and_removal_falls_back_to_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DJANGO_READ_ONLY", "1")
    with override_settings(DJANGO_READ_ONLY=False):
        assert writes_allowed()
        with override_settings(DJANGO_READ_ONLY=True):
            assert not writes_allowed()
        assert writes_allowed()
    # The setting no longer exists: the environment decides again.
    assert not writes_allowed()
    assert FLAG.source == ENVIRONMENT_SOURCE


def test_other_setting_changes_leave_the_flag_alone() -> None:
    disable_writes()
    with override_settings(USE_TZ=False):
        assert not writes_allowed()


def test_enable_and_disable_writes_set_the_process_flag() -> None:
    disable_writes()
    assert not writes_allowed()
    assert FLAG.source.startswith("disable_writes() called at ")
    assert __file__ in FLAG.source
    enable_writes()
    assert writes_allowed()
    assert FLAG.source.startswith("enable_writes() called at ")


def test_public_names() -> None:
    assert readonly_scopes.DjangoReadOnlyError is readonly_scopes.ReadOnlyError
    assert sorted(readonly_scopes.__all__) == readonly_scopes.__all__
    for name in readonly_scopes.__all__:
        assert hasattr(readonly_scopes, name)


def test_derived_bits_follow_their_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (AUDIT.on, EXTRA_WORK.on) == (False, False)
    with override_settings(DJANGO_READ_ONLY=True):
        assert (AUDIT.on, EXTRA_WORK.on) == (True, True)
        # Allowed by a call, still configured read-only: writes are noted.
        enable_writes()
        assert (AUDIT.on, EXTRA_WORK.on) == (True, True)
    assert (AUDIT.on, EXTRA_WORK.on) == (False, False)
    monkeypatch.setenv("DJANGO_READ_ONLY", "1")
    load_flag()
    assert AUDIT.on
    monkeypatch.delenv("DJANGO_READ_ONLY")
    load_flag()
    SWITCH.turn_on(None)
    assert (AUDIT.on, EXTRA_WORK.on) == (True, True)
    SWITCH.turn_off()
    assert (AUDIT.on, EXTRA_WORK.on) == (False, False)
    with override_settings(DJANGO_READ_ONLY_ENFORCE=True):
        assert (AUDIT.on, EXTRA_WORK.on) == (False, True)
    assert EXTRA_WORK.on is False


# The flag for some databases only.


def on(other: str) -> tuple[bool, bool, bool]:
    """Writes allowed on "default", on the other database, and on every one."""
    return writes_allowed("default"), writes_allowed(other), writes_allowed()


def test_disable_and_enable_writes_for_some_databases(other_alias: str) -> None:
    disable_writes(using=other_alias)
    assert on(other_alias) == (True, False, False)
    assert FLAG.writes_pass is False
    assert FLAG.source_on(other_alias).startswith(
        f"disable_writes(using={other_alias!r}) called at {__file__}:"
    )
    disable_writes(using=("default",))
    assert on(other_alias) == (False, False, False)
    enable_writes(using=[other_alias, "default"])
    assert on(other_alias) == (True, True, True)
    # Nothing is blocked any more: the guard's fast path again.
    assert FLAG.writes_pass is True


def test_enable_writes_for_some_databases_of_a_read_only_process(
    other_alias: str,
) -> None:
    disable_writes()
    enable_writes(using="default")
    assert on(other_alias) == (True, False, False)
    assert FLAG.source.startswith("disable_writes() called at ")
    assert FLAG.source_on("default").startswith("enable_writes(using='default')")
    assert FLAG.read_only_aliases() == "every database but 'default'"
    disable_writes(using="default")
    assert on(other_alias) == (False, False, False)
    assert FLAG.read_only_aliases() == "every database"
    enable_writes()
    assert on(other_alias) == (True, True, True)
    assert FLAG.read_only_aliases() == "none"


def test_a_flag_for_one_database_says_so(other_alias: str) -> None:
    disable_writes(using=other_alias)
    assert FLAG.read_only_aliases() == f"only {other_alias!r}"
    # Every database is decided on its own, so writes_allowed() asks each.
    with temp_writes(using=other_alias):
        assert on(other_alias) == (True, True, True)


@pytest.mark.parametrize("call", [enable_writes, disable_writes])
def test_the_flag_refuses_a_using_that_names_no_database(call: Any) -> None:
    with pytest.raises(ValueError, match=r"\(\) got using='nowhere', but 'nowhere'"):
        call(using="nowhere")
    with pytest.raises(TypeError, match=r"takes using= as a database alias"):
        call(using=1)
    assert writes_allowed()


def test_a_database_named_by_no_scope_or_flag_is_decided_by_the_rest(
    other_alias: str,
) -> None:
    disable_writes(using=other_alias)
    with read_only(using="default"):
        assert decide().allows_writes
        assert not decide("default").allows_writes
        assert decide("default").decided_by is not None
        assert not decide(other_alias).allows_writes
        assert decide(other_alias).decided_by is None
