from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import override_settings

from readonly_scopes import (
    ReadOnlyError,
    audit,
    disable_writes,
    enable_writes,
    read_only,
    temp_writes,
)
from readonly_scopes.audit import project_frame
from readonly_scopes.state import AUDIT, FLAG
from tests.testapp.models import Item

HERE = __file__


def records(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [
        (record.levelname, record.getMessage())
        for record in caplog.records
        if record.name == "readonly_scopes"
    ]


@pytest.mark.django_db(transaction=True)
def test_blocked_statement_is_a_warning_naming_project_code(
    caplog: pytest.LogCaptureFixture,
) -> None:
    disable_writes()
    with caplog.at_level(logging.INFO, "readonly_scopes"), pytest.raises(ReadOnlyError):
        Item.objects.create(name="x")
    [(level, message)] = records(caplog)
    assert level == "WARNING"
    assert message.startswith("Write blocked on database 'default': INSERT INTO")
    assert f"(from {HERE}:" in message
    assert "test_blocked_statement_is_a_warning_naming_project_code()" in message


@pytest.mark.django_db(transaction=True)
@override_settings(DJANGO_READ_ONLY_WARN_ONLY=True)
def test_warn_only_logs_and_runs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "readonly_scopes"), read_only():
        Item.objects.create(name="x")
    assert Item.objects.count() == 1
    [(_, message)] = records(caplog)
    assert message.startswith("Write let through in warn-only mode on database")


@pytest.mark.django_db(transaction=True)
def test_writes_allowed_while_configured_read_only_are_noted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with override_settings(DJANGO_READ_ONLY=True):
        assert AUDIT.on
        with caplog.at_level(logging.INFO, "readonly_scopes"):
            assert Item.objects.count() == 0  # reads are not noted
            with temp_writes():
                assert not Item.objects.exists()  # nor here
                Item.objects.create(name="fix")
            enable_writes()
            Item.objects.filter(name="fix").update(name="fixed")
    assert (AUDIT.on, FLAG.configured) == (False, False)
    messages = [message for _, message in records(caplog)]
    assert messages[0].startswith(
        "Write ran while read-only mode is configured, allowed by temp_writes() "
        f"entered at {HERE}:"
    )
    assert messages[1].startswith("Writes enabled by enable_writes() called at")
    assert messages[1].endswith(f"as OS user {audit.os_user()}")
    assert messages[2].startswith(
        "Write ran while read-only mode is configured, allowed by enable_writes() "
        f"called at {HERE}:"
    )
    assert len(messages) == 3


@pytest.mark.django_db(transaction=True)
def test_nothing_is_noted_when_not_configured_read_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, "readonly_scopes"):
        Item.objects.create(name="plain")
    assert records(caplog) == []


def test_os_user_falls_back_to_the_uid(monkeypatch: pytest.MonkeyPatch) -> None:
    def nameless() -> str:
        raise OSError("no name")

    monkeypatch.setattr("getpass.getuser", nameless)
    assert audit.os_user().startswith("uid ")


def test_project_frame_when_there_is_none() -> None:
    # Called straight from a worker thread: only the standard library and
    # this package are on that stack.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(project_frame).result() == "no project code on the stack"


def test_project_frame_without_project_code() -> None:
    namespace: dict[str, object] = {"project_frame": project_frame}
    exec(compile("result = project_frame()", "<string>", "exec"), namespace)
    # The test runner's own frames are in site-packages, this file is not.
    assert str(namespace["result"]).startswith(HERE)


def test_a_safe_method_write_is_one_warning_naming_request_view_and_sql(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, "readonly_scopes"):
        audit.safe_method_write(
            "GET /visits/",
            "view shop.views.visits, URL name 'visits'",
            "default",
            'UPDATE "shop_counter" SET "n" = 2',
            "warn",
            blocked=False,
        )
        audit.safe_method_write(
            "HEAD /visits/",
            "view shop.views.visits, URL name 'visits'",
            "replica",
            'UPDATE "shop_counter" SET "n" = 3',
            "block",
            blocked=True,
        )
    assert records(caplog) == [
        (
            "WARNING",
            (
                "Write let through during GET /visits/ "
                "(DJANGO_READ_ONLY_SAFE_METHODS = 'warn'): view shop.views.visits, "
                "URL name 'visits', on database "
                '\'default\': UPDATE "shop_counter" SET "n" = 2'
            ),
        ),
        (
            "WARNING",
            (
                "Write blocked during HEAD /visits/ (DJANGO_READ_ONLY_SAFE_METHODS = "
                "'block'): view shop.views.visits, URL name 'visits', on database "
                '\'replica\': UPDATE "shop_counter" SET "n" = 3'
            ),
        ),
    ]


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_writes_are_noted_where_the_configuration_makes_the_database_read_only(
    caplog: pytest.LogCaptureFixture, other_alias: str
) -> None:
    with override_settings(DJANGO_READ_ONLY=[other_alias]):
        assert FLAG.configured_on == frozenset({other_alias})
        with caplog.at_level(logging.INFO, "readonly_scopes"):
            Item.objects.create(name="on a writable database")  # not noted
            with temp_writes(using=other_alias):
                Item.objects.using(other_alias).create(name="fix")
            enable_writes(using=other_alias)
            Item.objects.using(other_alias).create(name="again")
    messages = [message for _, message in records(caplog)]
    assert messages[0].startswith(
        "Write ran while read-only mode is configured, allowed by "
        f"temp_writes(using={other_alias!r}) entered at {HERE}:"
    )
    assert f"on database {other_alias!r}: INSERT INTO" in messages[0]
    assert messages[1].startswith(
        f"Writes enabled by enable_writes(using={other_alias!r}) called at"
    )
    assert messages[2].startswith(
        "Write ran while read-only mode is configured, allowed by "
        f"enable_writes(using={other_alias!r}) called at {HERE}:"
    )
    assert len(messages) == 3
