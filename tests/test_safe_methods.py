"""
Safe-method mode: GET, HEAD, OPTIONS and TRACE requests on a writable site
run read-only, and each write they try is logged ("warn") or refused with an
error naming the view ("block").
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.test import AsyncClient, Client, override_settings

from readonly_scopes import ReadOnlyError
from readonly_scopes.conf import CONF
from readonly_scopes.middleware import dotted_path
from readonly_scopes.switch import SWITCH
from tests import site_views
from tests.test_live_site import Site
from tests.test_middleware_streaming import aconsume, consume
from tests.testapp.models import Item

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

WARN = {"DJANGO_READ_ONLY_SAFE_METHODS": "warn"}
BLOCK = {"DJANGO_READ_ONLY_SAFE_METHODS": "block"}


Log = Callable[[], list[str]]


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> Iterator[Log]:
    """What the package has logged at WARNING and above in the test so far."""
    # A record of the switch: without one, the first request warns of it.
    SWITCH.turn_off()

    def lines() -> list[str]:
        return [
            record.getMessage()
            for record in caplog.records
            if record.name == "readonly_scopes"
        ]

    with caplog.at_level(logging.WARNING, "readonly_scopes"):
        yield lines


def names(alias: str = "default") -> list[str]:
    return sorted(Item.objects.using(alias).values_list("name", flat=True))


def logged(lines: list[str], start: str) -> list[str]:
    """The SQL of each line that starts with ``start``, checking there is no other."""
    assert all(line.startswith(start) for line in lines), lines
    return [line[len(start) :] for line in lines]


def test_off_by_default_writes_on_get_land_unremarked(client: Client, log: Log) -> None:
    assert CONF.safe_methods is None
    assert client.get("/write-on-read/", {"name": "a"}).status_code == 200
    assert names() == ["a"]
    assert log() == []


@pytest.mark.parametrize("off", [None, False, "off"])
def test_every_spelling_of_off_is_off(client: Client, off: object) -> None:
    with override_settings(DJANGO_READ_ONLY_SAFE_METHODS=off):
        assert CONF.safe_methods is None
        assert client.get("/write-on-read/", {"name": "a"}).status_code == 200
    assert names() == ["a"]


def test_warn_lets_the_write_land_and_logs_it_with_the_view(
    client: Client, alias: str, log: Log
) -> None:
    with override_settings(**WARN):
        response = client.get(f"/write-on-read/{alias}/", {"name": "seen"})
    assert response.status_code == 200
    assert response.content == b"counted"
    assert names(alias) == ["seen"]
    [sql] = logged(
        log(),
        f"Write let through during GET /write-on-read/{alias}/ "
        "(DJANGO_READ_ONLY_SAFE_METHODS = 'warn'): view "
        "tests.site_views.write_on_read, URL name 'write-on-read-alias', on "
        f"database {alias!r}: ",
    )
    assert sql.startswith("INSERT INTO ")
    assert "testapp_item" in sql


def test_warn_logs_one_line_per_write(client: Client, log: Log) -> None:
    with override_settings(**WARN):
        for name in ("one", "two", "three"):
            assert client.get("/write-on-read/", {"name": name}).status_code == 200
    assert names() == ["one", "three", "two"]
    assert len(logged(log(), "Write let through during GET /write-on-read/ ")) == 3


def test_block_lands_nothing_and_names_the_view_in_the_error(
    client: Client, alias: str, log: Log
) -> None:
    with override_settings(**BLOCK), pytest.raises(ReadOnlyError) as raised:
        client.get(f"/write-on-read/{alias}/", {"name": "refused"})
    assert names(alias) == []
    message = str(raised.value)
    first, reason, remedy = message.split("\n")
    assert first.startswith(f"Write blocked on database {alias!r}: INSERT INTO ")
    assert reason == (
        f"GET /write-on-read/{alias}/ (view tests.site_views.write_on_read, URL name "
        "'write-on-read-alias') tried to write. GET, HEAD, OPTIONS and TRACE "
        "requests must not change state (RFC 9110, section 9.2.1), and "
        "DJANGO_READ_ONLY_SAFE_METHODS = 'block' runs them read-only."
    )
    assert remedy.startswith("To allow it, make the change in a POST request,")
    [sql] = logged(
        log(),
        f"Write blocked during GET /write-on-read/{alias}/ "
        "(DJANGO_READ_ONLY_SAFE_METHODS = 'block'): view "
        "tests.site_views.write_on_read, URL name 'write-on-read-alias', on "
        f"database {alias!r}: ",
    )
    assert sql.startswith("INSERT INTO ")


def test_a_blocked_write_is_a_server_error_not_a_maintenance_503(
    log: Log,
) -> None:
    client = Client(raise_request_exception=False)
    with override_settings(**BLOCK):
        response = client.get("/write-on-read/", {"name": "refused"})
    # A bug to fix, not the site being read-only: no Retry-After.
    assert response.status_code == 500
    assert not response.has_header("Retry-After")
    assert names() == []
    assert len(log()) == 1


@pytest.mark.parametrize("overrides", [WARN, BLOCK])
def test_unsafe_methods_are_left_alone(
    client: Client, overrides: dict[str, str], log: Log
) -> None:
    with override_settings(**overrides):
        assert client.post("/write-on-read/?name=posted").status_code == 200
        assert client.put("/write-on-read/?name=put").status_code == 200
        assert client.delete("/write-on-read/?name=deleted").status_code == 200
    assert names() == ["deleted", "posted", "put"]
    assert log() == []


@pytest.mark.parametrize("method", ["head", "options", "trace"])
def test_head_options_and_trace_are_safe_methods_too(
    client: Client, method: str, log: Log
) -> None:
    send = getattr(client, method)
    with override_settings(**BLOCK), pytest.raises(ReadOnlyError):
        send("/write-on-read/?name=blocked")
    assert names() == []
    with override_settings(**WARN):
        assert send("/write-on-read/?name=warned").status_code == 200
    assert list(Item.objects.values_list("name", "owner")) == [
        ("warned", method.upper())
    ]
    assert [line.split(" (")[0] for line in log()] == [
        f"Write blocked during {method.upper()} /write-on-read/",
        f"Write let through during {method.upper()} /write-on-read/",
    ]


@pytest.mark.parametrize(
    ("overrides", "url"),
    [
        ({"DJANGO_READ_ONLY_EXEMPT_PATHS": ["/exempt/"]}, "/exempt/write-on-read/"),
        (
            {"DJANGO_READ_ONLY_EXEMPT_URL_NAMES": ["named-write"]},
            "/named/write-on-read/",
        ),
    ],
)
def test_views_exempt_by_path_or_url_name_write_unremarked(
    client: Client, overrides: dict[str, Any], url: str, log: Log
) -> None:
    with override_settings(**BLOCK, **overrides):
        assert client.get(url, {"name": "exempt"}).status_code == 200
        with pytest.raises(ReadOnlyError):
            client.get("/write-on-read/", {"name": "not"})
    assert names() == ["exempt"]
    assert len(log()) == 1


def test_exemptions_of_users_and_requests_do_not_apply(
    client: Client, log: Log
) -> None:
    user = User.objects.create_user("ada", password="pw", is_superuser=True)
    client.force_login(user)
    with (
        override_settings(
            **BLOCK,
            DJANGO_READ_ONLY_EXEMPT_SUPERUSERS=True,
            DJANGO_READ_ONLY_EXEMPT_STAFF=True,
            DJANGO_READ_ONLY_EXEMPT="tests.site_views.exempt_header",
        ),
        pytest.raises(ReadOnlyError),
    ):
        client.get("/write-on-read/", headers={"X-Maintenance": "yes"})
    assert names() == []


def test_writes_to_allowed_tables_land_unremarked(client: Client, log: Log) -> None:
    with override_settings(**BLOCK, DJANGO_READ_ONLY_ALLOWED_TABLES=["testapp_item"]):
        assert client.get("/write-on-read/", {"name": "allowed"}).status_code == 200
    assert names() == ["allowed"]
    assert log() == []


def test_a_view_may_accept_its_write_with_temp_writes(client: Client, log: Log) -> None:
    with override_settings(**BLOCK):
        assert client.get("/temp-writes-on-read/").status_code == 200
    assert names() == ["accepted"]
    assert log() == []


@pytest.mark.parametrize("overrides", [WARN, BLOCK])
def test_a_read_only_view_keeps_its_own_error(
    client: Client, overrides: dict[str, str], log: Log
) -> None:
    with override_settings(**overrides), pytest.raises(ReadOnlyError) as raised:
        client.get("/read-only-on-read/")
    assert "It ran inside read_only() entered at" in str(raised.value)
    assert names() == []
    # Only the guard's own line: the view's scope blocked it, not this mode.
    [line] = log()
    assert line.startswith("Write blocked on database 'default': INSERT INTO")


def test_class_based_views_and_unnamed_urls_are_named_by_their_code(
    client: Client, log: Log
) -> None:
    with override_settings(**WARN):
        assert client.get("/class-write-on-read/").status_code == 200
        assert client.get("/unnamed/write-on-read/").status_code == 200
    assert [line.split(", on database")[0].split(": ", 1)[1] for line in log()] == [
        "view tests.site_views.WriteOnReadView, URL name 'class-write-on-read'",
        "view tests.site_views.write_on_read, no URL name",
    ]


@pytest.mark.parametrize(
    ("url", "view"),
    [
        (
            "/write-on-read/",
            "view tests.site_views.write_on_read, URL name 'write-on-read'",
        ),
        ("/nowhere/", "no view (the URL resolves to none)"),
    ],
)
def test_a_write_before_the_url_is_resolved_is_named_too(
    client: Client, url: str, view: str, log: Log
) -> None:
    middleware = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "readonly_scopes.middleware.ReadOnlySiteMiddleware",
        "tests.site_views.writing_middleware",
    ]
    with override_settings(**WARN, MIDDLEWARE=middleware):
        client.get(url, {"middleware-writes": "1", "name": "by-view"})
    assert log()[0].startswith(
        f"Write let through during GET {url} (DJANGO_READ_ONLY_SAFE_METHODS = "
        f"'warn'): {view}, on database 'default': INSERT INTO"
    )
    assert "by-middleware" in names()


def test_dotted_paths_of_partials_and_callable_objects() -> None:
    assert (
        dotted_path(functools.partial(site_views.write_on_read, alias="default"))
        == "tests.site_views.write_on_read"
    )
    assert dotted_path(site_views.WriteOnReadView()) == (
        "tests.site_views.WriteOnReadView"
    )


def test_async_requests_behave_the_same(async_client: AsyncClient, log: Log) -> None:
    async def main() -> int:
        with (
            override_settings(**BLOCK),
            pytest.raises(ReadOnlyError, match="async-write-on-read"),
        ):
            await async_client.get("/async-write-on-read/", {"name": "blocked"})
        with override_settings(**WARN):
            response = await async_client.get(
                "/async-write-on-read/", {"name": "warned"}
            )
        return response.status_code

    assert async_to_sync(main)() == 200
    assert names() == ["warned"]
    assert [line.split(": ", 1)[0] for line in log()] == [
        (
            "Write blocked during GET /async-write-on-read/ "
            "(DJANGO_READ_ONLY_SAFE_METHODS = 'block')"
        ),
        (
            "Write let through during GET /async-write-on-read/ "
            "(DJANGO_READ_ONLY_SAFE_METHODS = 'warn')"
        ),
    ]


def test_writes_while_streaming_are_watched(client: Client, log: Log) -> None:
    with override_settings(**BLOCK):
        response = client.get("/stream/", {"name": "blocked"})
        with pytest.raises(ReadOnlyError, match="URL name 'stream'"):
            consume(response)
    with override_settings(**WARN):
        response = client.get("/stream/", {"name": "warned"})
        assert consume(response) == b"first\nwritten\n"
    assert names() == ["warned"]
    assert [line.split(", on")[0] for line in log()] == [
        (
            "Write blocked during GET /stream/ (DJANGO_READ_ONLY_SAFE_METHODS = "
            "'block'): view tests.site_views.stream, URL name 'stream'"
        ),
        (
            "Write let through during GET /stream/ (DJANGO_READ_ONLY_SAFE_METHODS = "
            "'warn'): view tests.site_views.stream, URL name 'stream'"
        ),
    ]


def test_writes_while_streaming_async_are_watched(
    async_client: AsyncClient, log: Log
) -> None:
    async def main() -> bytes:
        with override_settings(**BLOCK):
            response = await async_client.get("/async-stream/", {"name": "blocked"})
            with pytest.raises(ReadOnlyError, match="URL name 'async-stream'"):
                await aconsume(response)
        with override_settings(**WARN):
            response = await async_client.get("/async-stream/", {"name": "warned"})
            return await aconsume(response)

    assert async_to_sync(main)() == b"first\nwritten\n"
    assert names() == ["warned"]
    assert len(log()) == 2


@override_settings(**BLOCK, DJANGO_READ_ONLY_WARN_ONLY=True)
def test_warn_only_mode_lets_blocked_writes_through(client: Client, log: Log) -> None:
    assert client.get("/write-on-read/", {"name": "trial"}).status_code == 200
    assert names() == ["trial"]
    [line] = log()
    assert line.startswith(
        "Write let through during GET /write-on-read/ "
        "(DJANGO_READ_ONLY_SAFE_METHODS = 'block'): view"
    )


@override_settings(**BLOCK)
def test_a_read_only_site_still_answers_writes_with_503(
    client: Client, log: Log
) -> None:
    SWITCH.turn_on(None)
    try:
        response = client.get("/write-on-read/", {"name": "refused"})
        exempt = client.get("/temp-writes-on-read/")
    finally:
        SWITCH.turn_off()
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert exempt.status_code == 200
    assert names() == ["accepted"]
    [line] = log()
    assert line.startswith("Write blocked on database 'default': INSERT INTO")


def checks() -> list[tuple[str, str, str]]:
    return [
        (message.id or "", message.msg, message.hint or "")
        for message in run_checks(include_deployment_checks=False)
        if (message.id or "").startswith("readonly_scopes.")
        and not message.is_silenced()
    ]


@pytest.mark.parametrize(
    ("value", "write"),
    [("WARN", "warn"), (" block", "block"), (True, "warn"), ("on", "warn")],
)
def test_an_invalid_mode_is_an_error_that_says_what_to_write(
    value: object, write: str
) -> None:
    with override_settings(DJANGO_READ_ONLY_SAFE_METHODS=value):
        assert CONF.safe_methods is None
        assert checks() == [
            (
                "readonly_scopes.E001",
                (
                    f"DJANGO_READ_ONLY_SAFE_METHODS is {value!r}; it must be 'warn', "
                    "'block' or 'off' (None and False mean off too)."
                ),
                (
                    f"Write, for example, DJANGO_READ_ONLY_SAFE_METHODS = {write!r}. "
                    "Until then its default, None, applies."
                ),
            )
        ]


@pytest.mark.parametrize("mode", ["warn", "block"])
def test_the_mode_without_the_middleware_is_a_warning(mode: str) -> None:
    with override_settings(DJANGO_READ_ONLY_SAFE_METHODS=mode, MIDDLEWARE=[]):
        assert checks() == [
            (
                "readonly_scopes.W003",
                (
                    f"DJANGO_READ_ONLY_SAFE_METHODS is {mode!r}, but "
                    "readonly_scopes.middleware.ReadOnlySiteMiddleware is not in "
                    "MIDDLEWARE, so no request runs in safe-method mode."
                ),
                (
                    "Put readonly_scopes.middleware.ReadOnlySiteMiddleware right after "
                    "django.contrib.auth.middleware.AuthenticationMiddleware."
                ),
            )
        ]
    with override_settings(DJANGO_READ_ONLY_SAFE_METHODS=mode):
        assert checks() == []


def test_warn_with_the_backstop_is_a_warning_for_what_it_refuses(
    client: Client,
) -> None:
    with override_settings(**WARN, DJANGO_READ_ONLY_ENFORCE=["default"]):
        [(code, message, _)] = checks()
        # What it warns of: the database itself refuses a raw write.
        response = client.get("/stream/", {"name": "raw", "how": "raw"})
        with pytest.raises(sqlite3.OperationalError):
            consume(response)
    assert code == "readonly_scopes.W004"
    assert message.startswith(
        "DJANGO_READ_ONLY_SAFE_METHODS is 'warn' while the backstop "
        "(DJANGO_READ_ONLY_ENFORCE) covers 'default': during GET"
    )
    with override_settings(**BLOCK, DJANGO_READ_ONLY_ENFORCE=["default"]):
        assert checks() == []
    assert names() == []


def get(site: Site, path: str) -> int:
    url = f"http://127.0.0.1:{site.port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


@pytest.mark.parametrize("kind", ["asgi", "wsgi"])
@pytest.mark.parametrize("mode", ["warn", "block"])
def test_a_server_in_another_process_watches_its_gets(
    tmp_path: Path, kind: str, mode: str
) -> None:
    site = Site(tmp_path, READONLY_SCOPES_LIVE_SAFE_METHODS=mode)
    try:
        site.start(kind)
        statuses = [
            get(site, "/write-on-read/?name=on-get"),
            site.post("/write-on-read/?name=on-post", "ignored"),
            get(site, "/exempt/write-on-read/?name=exempt"),
        ]
    finally:
        site.stop()
    log = site.log.read_text()
    lines = [line for line in log.splitlines() if "SAFE_METHODS" in line]
    if mode == "warn":
        assert statuses == [200, 200, 200]
        assert site.names() == {"on-get", "on-post", "exempt"}
        expected = "Write let through during GET /write-on-read/ "
    else:
        # A bug to fix, not a site in maintenance: a 500, and nothing written.
        assert statuses == [500, 200, 200]
        assert site.names() == {"on-post", "exempt"}
        expected = "Write blocked during GET /write-on-read/ "
    [line] = lines
    assert line.startswith(
        f"{expected}(DJANGO_READ_ONLY_SAFE_METHODS = {mode!r}): view "
        "tests.site_views.write_on_read, URL name 'write-on-read', on database "
        "'default': INSERT INTO"
    )
