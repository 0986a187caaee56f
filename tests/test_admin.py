"""
Django's admin while the site is read-only: view-only for requests that are
not exempt, the normal admin for exempt ones and while the site is writable.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.auth.models import Permission, User
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.utils.timezone import localtime, now

from readonly_scopes import admin as view_only_admin
from readonly_scopes.switch import SWITCH
from tests.testapp.admin import ItemAdmin
from tests.testapp.models import Item
from tests.zoo.models import Author, Book, Profile, Tag

pytestmark = pytest.mark.django_db

# Who asks, and whether the site is read-only: the staff user is never
# exempt, the superuser is (DJANGO_READ_ONLY_EXEMPT_SUPERUSERS).
MODES = ["writable", "read-only", "exempt"]
BANNER = "The site is read-only"
VIEW_ONLY_BANNER = (
    "The site is read-only: you can view everything, but nothing can be changed "
    "right now."
)
EXEMPT_BANNER = (
    "The site is read-only for everyone else; you may still make changes "
    "(superuser &#x27;root&#x27;)."
)


class Data:
    def __init__(self) -> None:
        self.item = Item.objects.create(name="lamp", owner="ann")
        self.author = Author.objects.create(name="Ann")
        self.book = Book.objects.create(title="Dunes", author=self.author)
        Profile.objects.create(author=self.author, bio="Writes.")
        self.tag = Tag.objects.create(slug="novel")


@pytest.fixture
def data() -> Data:
    return Data()


def staff_client() -> Client:
    """A staff user allowed everything on the test models, except tags."""
    user = User.objects.create_user("staff", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["testapp", "zoo"]
        ).exclude(codename__endswith="_tag")
    )
    client = Client()
    client.force_login(user)
    return client


def superuser_client() -> Client:
    user = User.objects.create_superuser("root", password="pw")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> Iterator[str]:
    with override_settings(DJANGO_READ_ONLY_EXEMPT_SUPERUSERS=True):
        yield request.param


@pytest.fixture
def client_in(mode: str) -> Iterator[Client]:
    """A logged-in client (logging in writes), then the site in ``mode``."""
    client = superuser_client() if mode == "exempt" else staff_client()
    if mode != "writable":
        SWITCH.turn_on(None)
    yield client
    SWITCH.turn_off()


@pytest.fixture
def staff_read_only() -> Iterator[Client]:
    client = staff_client()
    SWITCH.turn_on(None)
    yield client
    SWITCH.turn_off()


def html(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response
    return response.content.decode()


def may_write(mode: str) -> bool:
    return mode != "read-only"


def changes_logged() -> int:
    return LogEntry.objects.count()


def item_form(data: Data, **fields: str) -> dict[str, str]:
    return {"name": data.item.name, "owner": data.item.owner, **fields}


def author_form(data: Data, **fields: str) -> dict[str, str]:
    """The author's change form as the browser posts it, inlines included."""
    return {
        "name": data.author.name,
        "email": "",
        "active": "on",
        "books-TOTAL_FORMS": "1",
        "books-INITIAL_FORMS": "1",
        "books-0-id": str(data.book.pk),
        "books-0-author": str(data.author.pk),
        "books-0-title": data.book.title,
        "books-0-pages": "0",
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "1",
        "profile-0-id": str(data.author.profile.pk),
        "profile-0-author": str(data.author.pk),
        "profile-0-bio": data.author.profile.bio,
        **fields,
    }


def test_changelist_offers_no_add_action_or_editing_while_view_only(
    data: Data, mode: str, client_in: Client
) -> None:
    page = html(client_in, "/admin/testapp/item/")
    actions = re.findall(r'<option value="(\w+)"', page)
    if may_write(mode):
        assert 'href="/admin/testapp/item/add/"' in page
        assert actions == ["delete_selected", "mark_checked", "export_names"]
        assert 'name="form-0-owner"' in page
        assert 'name="_save"' in page
    else:
        assert "/admin/testapp/item/add/" not in page
        # The action that declares it only views stays; the rest may write.
        assert actions == ["export_names"]
        assert 'name="form-0-owner"' not in page
        assert 'name="_save"' not in page
        assert ">ann<" in page


def test_index_links_to_view_instead_of_add_and_change(
    data: Data, mode: str, client_in: Client
) -> None:
    page = html(client_in, "/admin/")
    assert ('href="/admin/zoo/author/add/"' in page) is may_write(mode)
    assert ('<a href="/admin/testapp/item/" class="viewlink"' in page) is not (
        may_write(mode)
    )


def test_change_form_and_inlines_are_shown_read_only(
    data: Data, mode: str, client_in: Client
) -> None:
    page = html(client_in, f"/admin/zoo/author/{data.author.pk}/change/")
    editable = [
        'name="name"',
        'name="books-0-title"',
        'name="books-0-DELETE"',
        'name="profile-0-bio"',
        'name="_save"',
        f'href="/admin/zoo/author/{data.author.pk}/delete/"',
        # The blank form of each inline, for the admin's "Add another".
        'name="books-__prefix__-title"',
    ]
    if may_write(mode):
        assert [name for name in editable if name not in page] == []
    else:
        assert [name for name in editable if name in page] == []
        assert '<div class="readonly">Ann</div>' in page
        assert "<p>Dunes</p>" in page
        assert '<div class="readonly">Writes.</div>' in page


def test_posting_a_change_is_refused_with_nothing_written(
    data: Data, mode: str, client_in: Client
) -> None:
    logged = changes_logged()
    response = client_in.post(
        f"/admin/zoo/author/{data.author.pk}/change/",
        author_form(data, name="Bea", **{"books-0-title": "Hills"}),
    )
    data.author.refresh_from_db()
    data.book.refresh_from_db()
    if may_write(mode):
        assert response.status_code == 302
        assert (data.author.name, data.book.title) == ("Bea", "Hills")
        assert changes_logged() == logged + 1
    else:
        # Django's own refusal for a user who may only view, before any form
        # is bound: no write is even tried, so no 503.
        assert response.status_code == 403
        assert (data.author.name, data.book.title) == ("Ann", "Dunes")
        assert changes_logged() == logged


def test_adding_is_refused_with_nothing_written(
    data: Data, mode: str, client_in: Client
) -> None:
    url = "/admin/testapp/item/add/"
    assert client_in.get(url).status_code == (200 if may_write(mode) else 403)
    response = client_in.post(url, {"name": "desk", "owner": "bo"})
    assert response.status_code == (302 if may_write(mode) else 403)
    assert Item.objects.filter(name="desk").exists() is may_write(mode)


def test_deleting_is_refused_with_nothing_written(
    data: Data, mode: str, client_in: Client
) -> None:
    url = f"/admin/testapp/item/{data.item.pk}/delete/"
    assert client_in.get(url).status_code == (200 if may_write(mode) else 403)
    response = client_in.post(url, {"post": "yes"})
    assert response.status_code == (302 if may_write(mode) else 403)
    assert Item.objects.filter(pk=data.item.pk).exists() is not may_write(mode)


@pytest.mark.parametrize("action", ["mark_checked", "delete_selected"])
def test_bulk_actions_that_may_write_do_not_run(
    data: Data, mode: str, client_in: Client, action: str
) -> None:
    response = client_in.post(
        "/admin/testapp/item/",
        {"action": action, "_selected_action": [str(data.item.pk)], "post": "yes"},
    )
    item = Item.objects.filter(pk=data.item.pk).first()
    if may_write(mode):
        assert response.status_code == 302
        assert item is None or item.owner == "checked"
    else:
        # Unknown to the admin now: "No action selected", and back to the list.
        assert response.status_code == 302
        assert item is not None
        assert item.owner == "ann"
        assert "No action selected" in html(client_in, response["Location"])


def test_an_action_that_only_views_still_runs(
    data: Data, mode: str, client_in: Client
) -> None:
    response = client_in.post(
        "/admin/testapp/item/",
        {"action": "export_names", "_selected_action": [str(data.item.pk)]},
    )
    assert response.status_code == 200
    assert response.content == b"lamp"


def test_list_editable_is_refused_with_nothing_written(
    data: Data, mode: str, client_in: Client
) -> None:
    response = client_in.post(
        "/admin/testapp/item/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(data.item.pk),
            "form-0-owner": "cy",
            "_save": "Save",
        },
    )
    data.item.refresh_from_db()
    assert response.status_code == (302 if may_write(mode) else 403)
    assert data.item.owner == ("cy" if may_write(mode) else "ann")


def test_a_model_admin_that_grants_change_itself_turns_view_only(
    data: Data, mode: str, client_in: Client
) -> None:
    url = f"/admin/zoo/tag/{data.tag.pk}/change/"
    page = html(client_in, url)
    assert ('name="slug"' in page) is may_write(mode)
    response = client_in.post(url, {"slug": "poem"})
    data.tag.refresh_from_db()
    assert response.status_code == (302 if may_write(mode) else 403)
    assert data.tag.slug == ("poem" if may_write(mode) else "novel")


def test_a_second_admin_site_is_view_only_too(
    data: Data, mode: str, client_in: Client
) -> None:
    page = html(client_in, "/other-admin/testapp/item/")
    assert ('href="/other-admin/testapp/item/add/"' in page) is may_write(mode)
    response = client_in.post(
        "/other-admin/testapp/item/add/", {"name": "desk", "owner": "bo"}
    )
    assert response.status_code == (302 if may_write(mode) else 403)
    assert Item.objects.filter(name="desk").exists() is may_write(mode)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/zoo/",
        "/admin/testapp/item/",
        "/admin/testapp/item/?_popup=1",
        "/admin/testapp/item/{item}/change/",
        "/admin/testapp/item/{item}/history/",
        "/admin/password_change/",
    ],
)
def test_every_admin_page_shows_the_banner(
    data: Data, mode: str, client_in: Client, url: str
) -> None:
    page = html(client_in, url.format(item=data.item.pk))
    banner = re.findall(r'id="read-only-site">\s*<li class="warning">([^<]*)<', page)
    if mode == "writable":
        assert banner == []
        assert BANNER not in page
    elif mode == "exempt":
        assert banner == [EXEMPT_BANNER]
    else:
        assert banner == [VIEW_ONLY_BANNER]


def test_the_login_page_shows_the_banner_and_its_end() -> None:
    # In TIME_ZONE, which the tests leave at Django's default, Chicago.
    ends = {
        localtime(now() + datetime.timedelta(hours=1)).strftime("%-d %b %Y, %H:%M %Z")
    }
    SWITCH.turn_on(3600)
    try:
        page = html(Client(), "/admin/login/")
    finally:
        SWITCH.turn_off()
    ends.add(
        localtime(now() + datetime.timedelta(hours=1)).strftime("%-d %b %Y, %H:%M %Z")
    )
    [end] = re.findall(
        r"The site is read-only until ([^:]+:\d\d \w+): you can view", page
    )
    assert end in ends


def test_the_process_flag_makes_the_admin_view_only(
    data: Data, staff_read_only: Client
) -> None:
    SWITCH.turn_off()
    client = staff_read_only
    assert 'href="/admin/testapp/item/add/"' in html(client, "/admin/testapp/item/")
    with override_settings(DJANGO_READ_ONLY=True):
        page = html(client, "/admin/testapp/item/")
        assert "/admin/testapp/item/add/" not in page
        assert BANNER in page


@override_settings(DJANGO_READ_ONLY_ADMIN_VIEW_ONLY=False)
def test_turned_off_the_admin_offers_writes_that_get_the_503(
    data: Data, staff_read_only: Client
) -> None:
    client = staff_read_only
    page = html(client, "/admin/testapp/item/")
    assert 'href="/admin/testapp/item/add/"' in page
    assert BANNER in page
    response = client.post(
        f"/admin/testapp/item/{data.item.pk}/change/", item_form(data, owner="cy")
    )
    assert response.status_code == 503
    data.item.refresh_from_db()
    assert data.item.owner == "ann"


@pytest.fixture
def unhooked(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Django's admin as it is before this app is ready, and Django's __init__."""
    hooked = BaseModelAdmin.__init__
    original = hooked.__wrapped__  # type: ignore[attr-defined]
    monkeypatch.setattr(BaseModelAdmin, "__init__", original)
    return original


def test_model_admins_registered_before_the_app_was_ready_are_found(
    data: Data, staff_read_only: Client, unhooked: Any
) -> None:
    # As when django.contrib.admin comes first in INSTALLED_APPS.
    earlier = admin.AdminSite(name="earlier")
    earlier.register(Item, ItemAdmin)
    model_admin = earlier.get_model_admin(Item)
    assert "has_change_permission" not in vars(model_admin)
    view_only_admin.install()
    view_only_admin.install()
    wrapped = model_admin.has_change_permission
    assert BaseModelAdmin.__init__.__wrapped__ is unhooked  # type: ignore[attr-defined]
    assert staff_read_only.get("/admin/").status_code == 200
    # The request the middleware marked as not exempt while read-only.
    request = staff_read_only.get("/admin/testapp/item/").wsgi_request
    assert not wrapped(request)
    assert model_admin.has_change_permission is wrapped
    assert wrapped.__wrapped__(request)  # type: ignore[attr-defined]


def test_without_the_admin_installed_nothing_is_hooked(unhooked: Any) -> None:
    with override_settings(
        INSTALLED_APPS=[
            "readonly_scopes",
            "django.contrib.auth",
            "django.contrib.contenttypes",
        ]
    ):
        # Each app's ready() ran again, this app's with it.
        view_only_admin.install()
        assert BaseModelAdmin.__init__ is unhooked


@override_settings(DJANGO_READ_ONLY_ALLOWED_TABLES=["django_session"])
def test_logging_out_works_with_the_session_table_allowed(
    staff_read_only: Client,
) -> None:
    client = staff_read_only
    response = client.post("/admin/logout/")
    assert response.status_code == 200
    assert VIEW_ONLY_BANNER in response.content.decode()
    assert not Session.objects.exists()
    assert client.get("/admin/").status_code == 302


def test_a_project_admin_template_that_extends_the_admin_keeps_the_banner(
    data: Data, staff_read_only: Client, tmp_path: Path, settings: Any
) -> None:
    (tmp_path / "admin").mkdir()
    (tmp_path / "admin" / "base_site.html").write_text(
        '{% extends "admin/base_site.html" %}'
        '{% block branding %}<div id="site-name">Our shop</div>{% endblock %}'
    )
    [engine] = settings.TEMPLATES
    settings.TEMPLATES = [{**engine, "DIRS": [tmp_path]}]
    page = html(staff_read_only, "/admin/")
    assert '<div id="site-name">Our shop</div>' in page
    assert VIEW_ONLY_BANNER in page


def test_the_admin_announces_a_window_to_come() -> None:
    starts = now() + datetime.timedelta(hours=2)
    SWITCH.turn_on(1800, starts=starts.timestamp())
    try:
        page = html(Client(), "/admin/login/")
    finally:
        SWITCH.turn_off()
    shown = "%-d %b %Y, %H:%M %Z"
    [announcement] = re.findall(
        r'id="read-only-site">\s*<li class="info">([^<]*)<', page
    )
    assert announcement == (
        f"The site will be read-only from {localtime(starts).strftime(shown)} until "
        f"{localtime(starts + datetime.timedelta(minutes=30)).strftime(shown)}: "
        "changes cannot be saved then."
    )
    # The login form itself stays: the site is writable until the window starts.
    assert 'type="submit"' in page
