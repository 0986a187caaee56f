"""
Management commands follow the site switch with DJANGO_READ_ONLY_FOLLOW_SWITCH:
real `python -m django` processes while a real Redis holds the switch, and the
start-up hook in this process, entered as `manage.py` enters it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import django
import pytest
from django.core.management import ManagementUtility
from django.db import connections
from django.test import override_settings

from readonly_scopes.errors import ReadOnlyError
from readonly_scopes.integrations.commands import (
    follow_switch_at_start,
    follows_switch,
    started_command,
)
from readonly_scopes.state import FLAG, writes_allowed
from readonly_scopes.switch import SWITCH
from tests.fleet.broker import FleetRedis, fleet_redis, fleet_site
from tests.test_live_site import REPO, Site
from tests.testapp.models import Item

__all__ = ["fleet_redis"]


@pytest.fixture
def site(tmp_path: Path, fleet_redis: FleetRedis) -> Site:
    return fleet_site(tmp_path, fleet_redis, 2)


def run(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=site.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_commands_started_while_the_switch_is_on_cannot_write(site: Site) -> None:
    site.manage("read_only", "off")
    assert run(site, "add_item", "before").returncode == 0

    assert "Site read-only mode is ON" in site.manage("read_only", "on")
    blocked = run(site, "add_item", "cron")
    assert blocked.returncode != 0
    assert "Management command 'add_item' runs read-only" in blocked.stderr
    assert "ReadOnlyError: Write blocked on database 'default'" in blocked.stderr
    assert "the site read-only switch (turned on by " in blocked.stderr
    # Exempt: by the decorator on its class, or named in the setting.
    assert run(site, "add_item_anyway", "decorated").returncode == 0
    # The switch's own command and the shells are never blocked.
    assert "ON" in site.manage("read_only", "status")
    shell = run(site, "shell", "-c", "print(readonly_scopes.writes_allowed())")
    assert shell.stdout.splitlines()[-1] == "True", shell.stderr
    assert "turned off by" in site.manage("read_only", "off")

    assert run(site, "add_item", "after").returncode == 0
    assert site.names() == {"before", "decorated", "after"}


def test_commands_named_in_the_setting_write(site: Site) -> None:
    site.manage("read_only", "on")
    done = run(site, "add_item", "listed")
    assert done.returncode != 0
    site.env["READONLY_SCOPES_FLEET_EXEMPT_COMMANDS"] = "add_item"
    done = run(site, "add_item", "listed")
    assert done.returncode == 0, done.stderr
    site.manage("read_only", "off")
    assert site.names() == {"listed"}


@pytest.fixture
def entered_like_manage_py(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the start-up hook where ready() runs: inside ManagementUtility.execute."""
    monkeypatch.setattr(
        django, "setup", lambda *args, **kwargs: follow_switch_at_start()
    )
    # Commands close every connection when done, the test database's too.
    monkeypatch.setattr(connections, "close_all", lambda: None)


# Every database: the system checks these commands run ask each database's
# server for its version (Django 6.1 does, on MariaDB), which an earlier test
# may or may not have done already.
every_database_for_checks = pytest.mark.django_db(transaction=True, databases="__all__")


@every_database_for_checks
@pytest.mark.usefixtures("entered_like_manage_py")
@override_settings(DJANGO_READ_ONLY_FOLLOW_SWITCH=True)
def test_the_hook_in_this_process() -> None:
    SWITCH.turn_on(None)
    with pytest.raises(ReadOnlyError):
        ManagementUtility(["manage.py", "add_item", "x"]).execute()
    assert not writes_allowed()
    FLAG.set(False, "the test")
    ManagementUtility(["manage.py", "add_item_anyway", "y"]).execute()
    assert writes_allowed()
    SWITCH.turn_off()
    ManagementUtility(["manage.py", "add_item", "z"]).execute()
    assert sorted(Item.objects.values_list("name", flat=True)) == ["y", "z"]


@every_database_for_checks
@pytest.mark.usefixtures("entered_like_manage_py")
def test_the_hook_without_the_setting_or_a_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    SWITCH.turn_on(None)
    # No command: Django prints its help after setup().
    ManagementUtility(["manage.py"]).execute()
    assert "Available subcommands" in capsys.readouterr().out
    with override_settings(DJANGO_READ_ONLY_FOLLOW_SWITCH=False):
        ManagementUtility(["manage.py", "check"]).execute()
    assert writes_allowed()


def test_outside_manage_py() -> None:
    assert started_command(sys._getframe()) is None
    follow_switch_at_start()
    assert writes_allowed()


@pytest.mark.parametrize(
    ("name", "follows"),
    [
        ("add_item", True),
        ("add_item_anyway", False),
        ("read_only", False),
        ("shell", False),
        ("dbshell", False),
        ("runserver", False),
        ("test", False),
        ("migrate", False),  # The default of DJANGO_READ_ONLY_EXEMPT_COMMANDS.
        ("no_such_command", False),
    ],
)
def test_which_commands_follow(name: str, follows: bool) -> None:
    assert follows_switch(name) is follows


def test_the_exempt_list_replaces_the_default() -> None:
    with override_settings(DJANGO_READ_ONLY_EXEMPT_COMMANDS=["add_item"]):
        assert not follows_switch("add_item")
        assert follows_switch("migrate")
