"""
The view-only admin in a real browser: headless Chromium, driven by Selenium
through chromedriver, logs in on the admin's login page of a threaded WSGI
server in another process, while the site is read-only. A staff user sees
the banner and nothing to add, save or delete; an exempt superuser sees the
normal admin and saves. A screenshot of each is kept (see README,
Development).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import django
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from tests.test_live_site import REPO, Site

# Debian's chromium and chromium-driver: given both, Selenium looks nothing
# up and downloads nothing.
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
]
PASSWORD = "browser-pw"

# The live-site servers' settings, with the admin's usual exemptions: logging
# in writes the session and last_login, so the login page may write.
SETTINGS = """
from tests.live.settings import *

DJANGO_READ_ONLY_EXEMPT_SUPERUSERS = True
DJANGO_READ_ONLY_EXEMPT_URL_NAMES = ["admin:login"]
"""

SETUP = f"""
import django
django.setup()
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from tests.testapp.models import Item

call_command("migrate", run_syncdb=True, verbosity=0)
User.objects.create_superuser("root", password={PASSWORD!r})
staff = User.objects.create_user("staff", password={PASSWORD!r}, is_staff=True)
staff.user_permissions.set(Permission.objects.filter(content_type__app_label="testapp"))
Item.objects.create(name="lamp", owner="ann")
"""


def screenshots() -> Path:
    """Where CI keeps them: .ci/out is its output directory."""
    directory = Path(
        os.environ.get("READONLY_SCOPES_SCREENSHOTS") or REPO / ".ci/out/screenshots"
    )
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def screenshot(browser: WebDriver, mode: str) -> None:
    # One per Python and Django: CI runs the suite in each of its environments.
    python = ".".join(map(str, sys.version_info[:2]))
    django_version = ".".join(map(str, django.VERSION[:2]))
    name = f"admin-{mode}-python{python}-django{django_version}.png"
    assert browser.save_screenshot(str(screenshots() / name))


def chromium_or_skip() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return
    message = (
        f"{' and '.join(missing)} not found: install Debian's chromium and "
        "chromium-driver packages to run the admin browser test."
    )
    if os.environ.get("READONLY_SCOPES_REQUIRE_BACKENDS"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def read_only_site(tmp_path: Path) -> Iterator[Site]:
    """A WSGI server with two users and an item, the switch on."""
    (tmp_path / "admin_browser_settings.py").write_text(SETTINGS)
    site = Site(
        tmp_path,
        PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO)]),
        DJANGO_SETTINGS_MODULE="admin_browser_settings",
    )
    subprocess.run([sys.executable, "-c", SETUP], env=site.env, cwd=REPO, check=True)
    site.manage("read_only", "on")
    site.start("wsgi")
    yield site
    site.stop()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    chromium_or_skip()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'chromium'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def log_in(browser: WebDriver, site: Site, username: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"http://127.0.0.1:{site.port}/admin/login/?next=/admin/testapp/item/")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 10).until(
        lambda page: page.find_elements(By.ID, "changelist")
    )


def banner(browser: WebDriver) -> str:
    return str(browser.find_element(By.ID, "read-only-site").text)


def present(browser: WebDriver, selector: str) -> bool:
    return bool(browser.find_elements(By.CSS_SELECTOR, selector))


def actions(browser: WebDriver) -> list[str]:
    options = browser.find_elements(By.CSS_SELECTOR, "select[name=action] option")
    return [str(option.get_attribute("value")) for option in options]


def owner(site: Site) -> str:
    with contextlib.closing(sqlite3.connect(site.database)) as connection:
        [(value,)] = connection.execute(
            "SELECT owner FROM testapp_item WHERE name = 'lamp'"
        ).fetchall()
    return str(value)


def open_lamp(browser: WebDriver) -> None:
    browser.find_element(By.LINK_TEXT, "lamp").click()
    WebDriverWait(browser, 10).until(
        lambda page: page.find_elements(By.ID, "item_form")
    )


def test_the_admin_in_a_browser_while_the_site_is_read_only(
    read_only_site: Site, browser: WebDriver
) -> None:
    site = read_only_site

    log_in(browser, site, "staff")
    assert "you can view everything" in banner(browser)
    assert not present(browser, "a.addlink")
    assert actions(browser) == ["", "export_names"]
    assert not present(browser, "input[name=form-0-owner]")
    open_lamp(browser)
    assert "you can view everything" in banner(browser)
    assert not present(browser, "input[name=_save]")
    assert not present(browser, "a.deletelink")
    assert not present(browser, "input[name=owner]")
    readonly = browser.find_elements(By.CSS_SELECTOR, "div.readonly")
    assert [field.text for field in readonly] == ["lamp", "ann"]
    screenshot(browser, "read-only")

    log_in(browser, site, "root")
    assert "you may still make changes (superuser 'root')" in banner(browser)
    assert present(browser, "a.addlink")
    assert actions(browser) == ["", "delete_selected", "mark_checked", "export_names"]
    open_lamp(browser)
    assert present(browser, "a.deletelink")
    field = browser.find_element(By.NAME, "owner")
    field.clear()
    field.send_keys("bea")
    screenshot(browser, "exempt")
    browser.find_element(By.NAME, "_save").click()
    WebDriverWait(browser, 10).until(
        lambda page: page.find_elements(By.CSS_SELECTOR, ".messagelist .success")
    )
    assert owner(site) == "bea"
