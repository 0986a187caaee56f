"""
Tasks of Django's tasks framework follow the site switch: a real db_worker
(django-tasks-db) and `manage.py read_only` in processes of their own, and
the decorator in this process.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from importlib.util import find_spec
from pathlib import Path

import pytest
from django.test import override_settings

from readonly_scopes.integrations.tasks import TaskDeferred, follows_switch
from readonly_scopes.switch import SWITCH
from tests.fleet.broker import FleetRedis, fleet_redis, fleet_site
from tests.test_live_site import REPO, Site
from tests.test_switch_live import until

__all__ = ["fleet_redis"]

TASKS = "tests.fleet.django_tasks"
FRAMEWORK = "django.tasks" if find_spec("django.tasks") else "django_tasks"
ENQUEUE = (
    "from tests.fleet import django_tasks as t; "
    "[getattr(t, name).enqueue(name.replace('add_item', 'during')) for name in "
    "('add_item', 'add_item_decorated', 'add_item_listed')]"
)


@pytest.fixture
def site(tmp_path: Path, fleet_redis: FleetRedis) -> Iterator[Site]:
    site = fleet_site(tmp_path, fleet_redis, 5)
    site.manage("read_only", "off")
    log = tmp_path / "db_worker.log"
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [
                sys.executable, "-m", "django", "db_worker", "--interval", "0.1",
                "--no-startup-delay",
            ],
            env=site.env, cwd=REPO, stdout=output, stderr=output,
        )  # fmt: skip
    try:
        yield site
    finally:
        worker.terminate()
        worker.wait(20)


def query(site: Site, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(site.database)) as connection:
        return connection.execute(sql).fetchall()


def names(site: Site) -> list[object]:
    return [name for (name,) in query(site, "SELECT name FROM testapp_item ORDER BY 1")]


def results(site: Site) -> list[tuple[object, ...]]:
    return query(
        site,
        "SELECT task_path, status, exception_class_path "
        "FROM django_tasks_database_dbtaskresult ORDER BY enqueued_at",
    )


def test_tasks_wait_for_the_switch(site: Site) -> None:
    site.manage("read_only", "on")
    # From an operator's shell: it keeps its own mode, so enqueueing writes.
    site.manage("shell", "-c", ENQUEUE)
    until(lambda: len(names(site)) == 2, str(results(site)))
    until(lambda: len(results(site)) == 4, str(results(site)))
    assert names(site) == ["during_decorated", "during_listed"]
    first, *_, again = results(site)
    assert first == (
        f"{TASKS}.add_item", "FAILED", "readonly_scopes.integrations.tasks.TaskDeferred"
    )  # fmt: skip
    assert again[:2] == (f"{TASKS}.add_item", "READY")

    site.manage("read_only", "off")
    until(lambda: "during" in names(site), str(results(site)))
    assert names(site) == ["during", "during_decorated", "during_listed"]


def write() -> None:
    from tests.testapp.models import Item

    Item.objects.create(name="x")


@pytest.mark.django_db(transaction=True)
@override_settings(
    DJANGO_READ_ONLY_FOLLOW_SWITCH=True,
    # Holds what is enqueued and runs nothing.
    TASKS={"default": {"BACKEND": f"{FRAMEWORK}.backends.dummy.DummyBackend"}},
)
def test_the_decorator_in_this_process() -> None:
    from tests.fleet import django_tasks

    SWITCH.turn_on(30)
    with pytest.raises(TaskDeferred, match=r"it is enqueued again as result .*in 30 s"):
        django_tasks.add_item.call("a")
    with override_settings(DJANGO_READ_ONLY_EXEMPT_TASKS=[f"{TASKS}.add_item"]):
        django_tasks.add_item.call("b")
    SWITCH.turn_off()
    django_tasks.add_item.call("c")
    follows_switch(write)()
