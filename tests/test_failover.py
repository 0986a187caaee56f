"""
The pieces of failover.py in this process: what counts as the database's own
refusal, the watcher, the period and the question asked at its end, the
fleet switch, and the middleware's answers.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import DatabaseError, InternalError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from readonly_scopes import failover
from readonly_scopes.errors import ReadOnlyError
from readonly_scopes.failover import DATABASE, SWITCH_BY, aapply, apply, refusal
from readonly_scopes.middleware import ReadOnlySiteMiddleware
from readonly_scopes.scopes import read_only
from readonly_scopes.switch import ASSUMED_OFF, SWITCH, SiteState
from tests.conftest import configured_alias

PERIOD = 0.3


def needs(*aliases: str) -> pytest.MarkDecorator:
    # Decided before pytest-django sets the databases up, which fails for an
    # alias that is not configured (configured_alias() would come too late).
    missing = [alias for alias in aliases if alias not in settings.DATABASES]
    return pytest.mark.skipif(
        bool(missing), reason=f"{', '.join(missing)} is not configured"
    )


@pytest.fixture(autouse=True)
def _fresh_database_state() -> Iterator[None]:
    DATABASE.__init__()  # type: ignore[misc]
    with override_settings(
        DJANGO_READ_ONLY_FOLLOW_DATABASE=True, DJANGO_READ_ONLY_DATABASE_PERIOD=PERIOD
    ):
        yield
    DATABASE.__init__()  # type: ignore[misc]


@pytest.fixture
def read_only_postgresql() -> Iterator[str]:
    """The PostgreSQL test database, read-only by a setting of its session."""
    alias = configured_alias("postgresql")
    with connections[alias].cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = on")
    yield alias
    with connections[alias].cursor() as cursor:
        cursor.execute("RESET default_transaction_read_only")


def test_what_counts_as_the_database_refusing() -> None:
    assert refusal(OperationalError(1290, "running with --read-only")) == "error 1290"
    assert refusal(OperationalError(1836, "super_read_only")) == "error 1836"
    assert refusal(OperationalError(2006, "gone away")) is None
    assert refusal(OperationalError()) is None
    assert refusal(ValueError(1290)) is None
    wrapped = DatabaseError("wrapped")
    wrapped.__cause__ = OperationalError(1290, "running with --read-only")
    assert refusal(wrapped) == "error 1290"


@needs("postgresql")
@pytest.mark.django_db(databases=["postgresql"], transaction=True)
def test_a_refusal_on_postgresql_until_it_writes(read_only_postgresql: str) -> None:
    connection = connections[read_only_postgresql]
    with pytest.raises(InternalError) as refused, connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE rs_failover (id int)")
    assert refusal(refused.value) == "SQLSTATE 25006"
    assert DATABASE.aliases == {read_only_postgresql}
    state = apply(ASSUMED_OFF)
    assert state.on
    assert state.by == (
        f"database {read_only_postgresql!r}, which refused a write (SQLSTATE 25006)"
    )
    assert state.seconds_left() == 1
    # At the end of the period it asks, and stays: the session is read-only.
    wait_for_the_period()
    assert apply(ASSUMED_OFF).on
    with connection.cursor() as cursor:
        cursor.execute("RESET default_transaction_read_only")
    wait_for_the_period()
    assert apply(ASSUMED_OFF) is ASSUMED_OFF
    assert DATABASE.until is None


def wait_for_the_period() -> None:
    assert DATABASE.until is not None
    time.sleep(max(0, DATABASE.until - time.time()))


@needs("postgresql")
@pytest.mark.django_db(databases=["postgresql"], transaction=True)
def test_refusals_caused_by_our_own_scopes_do_not_count(
    read_only_postgresql: str,
) -> None:
    connection = connections[read_only_postgresql]
    with connection.cursor() as cursor:
        cursor.execute("RESET default_transaction_read_only")
        cursor.execute(
            "CREATE FUNCTION rs_failover_write() RETURNS void LANGUAGE plpgsql AS "
            "$$ BEGIN CREATE TEMPORARY TABLE IF NOT EXISTS rs_f (id int); END $$"
        )
        cursor.execute("SET default_transaction_read_only = on")
    try:
        # A function that writes looks like a read to the guard; the database
        # refuses it inside read_only(), where that refusal is ours.
        with read_only(), pytest.raises(InternalError), connection.cursor() as cursor:
            cursor.execute("SELECT rs_failover_write()")
        assert DATABASE.until is None
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET default_transaction_read_only")
            cursor.execute("DROP FUNCTION rs_failover_write()")


@needs("postgresql")
@pytest.mark.django_db(databases=["postgresql"], transaction=True)
def test_without_the_setting_nothing_is_watched(read_only_postgresql: str) -> None:
    connection = connections[read_only_postgresql]
    with override_settings(DJANGO_READ_ONLY_FOLLOW_DATABASE=False):
        assert failover.watch not in connection.execute_wrappers
        with pytest.raises(InternalError), connection.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE rs_failover (id int)")
        assert DATABASE.until is None
    assert failover.watch in connection.execute_wrappers


@needs("postgresql", "mariadb")
@pytest.mark.django_db(databases=["postgresql", "mariadb"])
def test_the_question_asked_at_the_end() -> None:
    mariadb = configured_alias("mariadb")
    postgresql = configured_alias("postgresql")
    assert failover.still_read_only(mariadb) is False
    assert failover.still_read_only(postgresql) is False


@pytest.mark.django_db(transaction=True)
def test_a_database_that_cannot_answer_keeps_it_read_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # SQLite has no such variable: the question fails, as a dead server's would.
    DATABASE.refused("default", "error 1290")
    wait_for_the_period()
    assert apply(ASSUMED_OFF).on
    assert "Could not ask database 'default' whether it is still read-only" in (
        caplog.text
    )


def test_several_databases_and_a_state_asked_for_meanwhile(
    caplog: pytest.LogCaptureFixture,
) -> None:
    DATABASE.refused("one", "error 1290")
    DATABASE.refused("two", "error 1290")
    assert caplog.text.count("refused a write by itself") == 1
    wait_for_the_period()
    with DATABASE.lock:  # Another thread is asking.
        assert apply(ASSUMED_OFF).on
    DATABASE.aliases = set()
    assert apply(ASSUMED_OFF) is ASSUMED_OFF


def test_the_switch_wins() -> None:
    DATABASE.refused("default", "error 1290")
    state = SWITCH.turn_on(None)
    assert apply(state) is state
    assert async_to_sync(aapply)(state) is state


def test_the_async_path_asks_off_the_event_loop() -> None:
    DATABASE.refused("one", "error 1290")
    assert async_to_sync(aapply)(ASSUMED_OFF).on
    wait_for_the_period()
    DATABASE.aliases = set()
    assert async_to_sync(aapply)(ASSUMED_OFF) is ASSUMED_OFF


@override_settings(DJANGO_READ_ONLY_DATABASE_SWITCH=True)
def test_the_fleet_switch_follows_the_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    DATABASE.refused("default", "error 1290")
    record = SWITCH.read_record()
    assert record is not None
    assert record.on
    assert record.by == SWITCH_BY.format(host=socket.gethostname(), alias="default")
    assert record.until is not None
    first_end = record.until
    # Still read-only at the end of the period: the switch is extended.
    monkeypatch.setattr(failover, "still_read_only", lambda alias: True)
    wait_for_the_period()
    assert apply(ASSUMED_OFF).on
    record = SWITCH.read_record()
    assert record is not None
    assert record.until is not None
    assert record.until > first_end


@override_settings(DJANGO_READ_ONLY_DATABASE_SWITCH=True)
def test_an_operators_switch_is_left_alone() -> None:
    mine = SWITCH.turn_on(3600)
    DATABASE.refused("default", "error 1290")
    assert SWITCH.read_record() == mine


@override_settings(DJANGO_READ_ONLY_DATABASE_SWITCH=True)
def test_an_operators_window_to_come_is_left_alone() -> None:
    """Turning the switch on now would replace the record, and the window with it."""
    window = SWITCH.turn_on(1800, starts=time.time() + 3600)
    DATABASE.refused("default", "error 1290")
    assert SWITCH.read_record() == window
    # The process itself is read-only all the same.
    assert apply(SWITCH.current()).on


@override_settings(
    DJANGO_READ_ONLY_DATABASE_SWITCH=True,
    DJANGO_READ_ONLY_CACHE="dummy",
    CACHES={
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "dummy": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    },
)
def test_a_switch_that_cannot_be_stored(caplog: pytest.LogCaptureFixture) -> None:
    DATABASE.refused("default", "error 1290")
    assert "Could not turn the site read-only switch on for database 'default'" in (
        caplog.text
    )
    assert apply(ASSUMED_OFF).on


def answer(exception: Exception) -> HttpResponse | None:
    middleware = ReadOnlySiteMiddleware(lambda request: HttpResponse())
    request: HttpRequest = RequestFactory().post("/items/")
    return middleware.process_exception(request, exception)


def test_the_middleware_answers_the_refusal_with_a_503() -> None:
    refused = OperationalError(1290, "running with --read-only")
    assert answer(refused) is None  # Not entered: the watcher did not see it.
    DATABASE.refused("default", "error 1290")
    response = answer(refused)
    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert answer(OperationalError(2006, "gone away")) is None
    assert answer(ReadOnlyError("not during a read-only request")) is None


def test_a_state_that_is_not_on() -> None:
    assert SiteState(False).on is False
    assert apply(ASSUMED_OFF) is ASSUMED_OFF
