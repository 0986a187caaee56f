from __future__ import annotations

import datetime
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import AsyncClient, Client, RequestFactory, override_settings

from readonly_scopes import disable_writes
from readonly_scopes.context_processors import read_only
from readonly_scopes.switch import KEY, SWITCH
from tests.testapp.models import Item

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site_read_only() -> Iterator[None]:
    SWITCH.turn_on(None)
    yield
    SWITCH.turn_off()


def names() -> list[str]:
    return sorted(Item.objects.values_list("name", flat=True))


def test_writable_site_is_left_alone(client: Client) -> None:
    response = client.post("/items/", {"name": "a"})
    assert response.status_code == 200
    assert names() == ["a"]


@pytest.mark.usefixtures("site_read_only")
def test_write_during_read_only_site_is_a_503(client: Client) -> None:
    Item.objects.create(name="kept")
    assert client.get("/items/").json() == {"items": ["kept"]}
    response = client.post("/items/", {"name": "new"}, HTTP_ACCEPT="text/html")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert b"The site is in read-only mode" in response.content
    assert b"try again in 60 seconds" in response.content
    assert names() == ["kept"]


@pytest.mark.usefixtures("site_read_only")
def test_clients_that_want_json_get_json(client: Client) -> None:
    response = client.post("/items/", {"name": "new"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "error": "read_only",
        "detail": "The site is in read-only mode: changes cannot be saved right now.",
        "retry_after": 60,
    }


def test_retry_after_is_the_time_left_when_the_switch_has_an_end(
    client: Client,
) -> None:
    SWITCH.turn_on(120)
    try:
        response = client.post("/items/", {"name": "new"})
    finally:
        SWITCH.turn_off()
    assert response.status_code == 503
    assert 118 <= int(response["Retry-After"]) <= 120


@pytest.mark.usefixtures("site_read_only")
@override_settings(DJANGO_READ_ONLY_RETRY_AFTER=900)
def test_retry_after_setting_applies_without_an_end(client: Client) -> None:
    assert client.post("/items/", {"name": "x"})["Retry-After"] == "900"


@pytest.mark.usefixtures("site_read_only")
def test_async_views_get_the_same_treatment(async_client: AsyncClient) -> None:
    from asgiref.sync import async_to_sync

    async def main() -> list[Any]:
        blocked = await async_client.post("/async-items/", {"name": "a"})
        with override_settings(DJANGO_READ_ONLY_EXEMPT_PATHS=["/async-items/"]):
            allowed = await async_client.post("/async-items/", {"name": "b"})
        return [blocked.status_code, allowed.status_code]

    assert async_to_sync(main)() == [503, 200]
    assert names() == ["b"]


@pytest.mark.usefixtures("site_read_only")
@pytest.mark.parametrize(
    ("overrides", "url", "headers"),
    [
        ({"DJANGO_READ_ONLY_EXEMPT_PATHS": ["/exempt/"]}, "/exempt/items/", {}),
        ({"DJANGO_READ_ONLY_EXEMPT_URL_NAMES": ["named-items"]}, "/named/items/", {}),
        (
            {"DJANGO_READ_ONLY_EXEMPT": "tests.site_views.exempt_header"},
            "/items/",
            {"X-Maintenance": "yes"},
        ),
    ],
)
def test_exempt_requests_may_write(
    client: Client, overrides: dict[str, Any], url: str, headers: dict[str, str]
) -> None:
    with override_settings(**overrides):
        response = client.post(url, {"name": "exempt"}, headers=headers)
        assert response.status_code == 200
        assert client.post("/items/", {"name": "not"}).status_code == 503
    assert names() == ["exempt"]


@pytest.mark.usefixtures("site_read_only")
@pytest.mark.parametrize(
    ("setting", "staff", "superuser", "exempt"),
    [
        ("DJANGO_READ_ONLY_EXEMPT_STAFF", True, False, True),
        ("DJANGO_READ_ONLY_EXEMPT_STAFF", False, False, False),
        ("DJANGO_READ_ONLY_EXEMPT_SUPERUSERS", True, False, False),
        ("DJANGO_READ_ONLY_EXEMPT_SUPERUSERS", True, True, True),
    ],
)
def test_staff_and_superusers_may_be_exempt(
    client: Client, setting: str, staff: bool, superuser: bool, exempt: bool
) -> None:
    SWITCH.turn_off()
    user = User.objects.create_user(
        "ada", password="pw", is_staff=staff, is_superuser=superuser
    )
    client.force_login(user)
    SWITCH.turn_on(None)
    with override_settings(**{setting: True}):
        status = client.post("/items/", {"name": "by-ada"}).status_code
    assert status == (200 if exempt else 503)
    assert names() == (["by-ada"] if exempt else [])


def test_exempt_request_writes_even_with_the_process_flag_on(client: Client) -> None:
    disable_writes()
    with override_settings(DJANGO_READ_ONLY_EXEMPT_PATHS=["/exempt/"]):
        assert client.post("/exempt/items/", {"name": "fix"}).status_code == 200
        assert client.post("/items/", {"name": "no"}).status_code == 503
    assert names() == ["fix"]


def test_banner_context(client: Client) -> None:
    assert client.get("/banner/").content.strip() == b"WRITABLE"
    SWITCH.turn_on(3600)
    try:
        banner = client.get("/banner/").content.decode().strip()
        with override_settings(DJANGO_READ_ONLY_EXEMPT_PATHS=["/banner/"]):
            exempt = client.get("/banner/").content.decode().strip()
    finally:
        SWITCH.turn_off()
    assert banner.startswith("READ-ONLY until 20")
    assert exempt.endswith("(you may write: path prefix &#x27;/banner/&#x27;)")


@pytest.mark.usefixtures("site_read_only")
@override_settings(
    DJANGO_READ_ONLY_ALLOWED_TABLES=["django_session"],
    DJANGO_READ_ONLY_EXEMPT_URL_NAMES=["login"],
)
def test_logging_in_and_out_with_database_sessions(client: Client) -> None:
    SWITCH.turn_off()
    User.objects.create_user("ada", password="pw")
    SWITCH.turn_on(None)
    # Logging in also sets auth_user.last_login: its URL is exempt.
    response = client.post("/login/", {"username": "ada", "password": "pw"})
    assert response.status_code == 302
    assert Session.objects.count() == 1
    # Browsing saves nothing but the session; logging out deletes it, which
    # the allow-list lets through while the rest stays read-only.
    assert client.post("/items/", {"name": "x"}).status_code == 503
    assert client.post("/logout/").status_code == 302
    assert Session.objects.count() == 0
    assert names() == []


@pytest.mark.usefixtures("site_read_only")
@override_settings(DJANGO_READ_ONLY_EXEMPT_URL_NAMES=["login"])
def test_logging_out_without_the_allow_list_is_refused(client: Client) -> None:
    SWITCH.turn_off()
    User.objects.create_user("ada", password="pw")
    SWITCH.turn_on(None)
    client.post("/login/", {"username": "ada", "password": "pw"})
    assert client.post("/logout/").status_code == 503
    assert Session.objects.count() == 1


@pytest.mark.usefixtures("site_read_only")
@override_settings(DJANGO_READ_ONLY_ALLOWED_TABLES=["django_session"])
def test_logging_in_writes_last_login_so_is_refused_unless_exempt(
    client: Client,
) -> None:
    SWITCH.turn_off()
    User.objects.create_user("ada", password="pw")
    SWITCH.turn_on(None)
    response = client.post("/login/", {"username": "ada", "password": "pw"})
    assert response.status_code == 503
    assert User.objects.get().last_login is None


@pytest.mark.usefixtures("site_read_only")
@override_settings(DJANGO_READ_ONLY_WARN_ONLY=True)
def test_warn_only_lets_writes_through(client: Client) -> None:
    assert client.post("/items/", {"name": "trial"}).status_code == 200
    assert names() == ["trial"]


@pytest.mark.usefixtures("site_read_only")
def test_unrelated_errors_are_not_turned_into_503(client: Client) -> None:
    with pytest.raises(KeyError):
        client.post("/items/", {})


def test_async_requests_on_a_writable_site_are_left_alone(
    async_client: AsyncClient,
) -> None:
    from asgiref.sync import async_to_sync

    response = async_to_sync(async_client.post)("/async-items/", {"name": "a"})
    assert response.status_code == 200
    assert names() == ["a"]


@pytest.mark.usefixtures("site_read_only")
@override_settings(DJANGO_READ_ONLY_EXEMPT_URL_NAMES=["named-items"])
def test_unknown_paths_are_not_exempt_by_name(client: Client) -> None:
    assert client.post("/nowhere/", {"name": "x"}).status_code == 404


@pytest.mark.usefixtures("site_read_only")
@override_settings(
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}]
)
def test_plain_page_without_the_template(client: Client) -> None:
    response = client.post("/items/", {"name": "x"}, HTTP_ACCEPT="text/html")
    assert response.status_code == 503
    assert response.content == (
        b"<!doctype html><title>Read-only</title><p>The site is in read-only mode: "
        b"changes cannot be saved right now.</p>"
    )


@pytest.mark.usefixtures("site_read_only")
@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("tests.site_views.exempt_broken", "AttributeError"),
        ("tests.site_views.missing", "ImportError"),
    ],
)
def test_a_broken_exemption_fails_safe(
    client: Client, caplog: pytest.LogCaptureFixture, path: str, error: str
) -> None:
    Item.objects.create(name="kept")
    with (
        override_settings(
            DJANGO_READ_ONLY_EXEMPT=path, DJANGO_READ_ONLY_CACHE_REFRESH=60
        ),
        caplog.at_level(logging.INFO, "readonly_scopes"),
    ):
        reads = [client.get("/items/").status_code for _ in range(3)]
        writes = [client.post("/items/", {"name": "x"}).status_code for _ in range(3)]
    assert reads == [200] * 3
    assert writes == [503] * 3
    assert names() == ["kept"]
    errors = [
        record
        for record in caplog.records
        if record.name == "readonly_scopes" and record.levelno >= logging.ERROR
    ]
    assert len(errors) == 1
    assert errors[0].getMessage() == (
        "Could not decide whether request GET /items/ is exempt from read-only mode "
        f"(DJANGO_READ_ONLY_EXEMPT is {path!r}); treating it as not exempt. Logged "
        "at most once every 60 s."
    )
    assert errors[0].exc_info is not None
    assert errors[0].exc_info[0] is not None
    assert error in [cls.__name__ for cls in errors[0].exc_info[0].__mro__]


@pytest.mark.usefixtures("site_read_only")
def test_a_broken_exemption_is_logged_again_after_the_interval(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        override_settings(DJANGO_READ_ONLY_EXEMPT="tests.site_views.missing"),
        caplog.at_level(logging.ERROR, "readonly_scopes"),
    ):
        # The test settings' refresh interval is 1 ms.
        deadline = time.monotonic() + 10
        while [r.name for r in caplog.records].count("readonly_scopes") < 2:
            assert time.monotonic() < deadline
            assert client.get("/items/").status_code == 200


def test_a_period_that_ran_out_is_no_end_while_the_flag_is_on(client: Client) -> None:
    caches["default"].set(KEY, {"on": True, "since": 0.0, "until": time.time() - 1})
    disable_writes()
    response = client.post("/items/", {"name": "x"})
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert client.get("/banner/").content.strip() == b"READ-ONLY"


@override_settings(TIME_ZONE="Asia/Kolkata")
def test_banner_time_is_aware_and_in_the_current_zone() -> None:
    SWITCH.turn_on(3600)
    until = read_only(RequestFactory().get("/"))["read_only_site"]["until"]
    assert until.utcoffset() == datetime.timedelta(hours=5, minutes=30)
    assert until.tzname() == "IST"
