"""
Celery tasks follow the site switch: a real worker on a real Redis broker,
the switch in the same Redis, and `manage.py read_only` turning it.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from celery import Celery
from django.test import override_settings

from readonly_scopes.errors import ReadOnlyError
from readonly_scopes.fleet import retry_delay
from readonly_scopes.switch import SWITCH
from tests.fleet.broker import FleetRedis, fleet_redis, fleet_site
from tests.test_live_site import REPO, Site
from tests.test_switch_live import until
from tests.testapp.models import Item

__all__ = ["fleet_redis"]

DEFERRED = "tried to write while the site is read-only; it is retried in 1 s"


class Worker:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.log = site.database.parent / "worker.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "tests.fleet.celery_app",
                    "worker", "--pool", "solo", "--loglevel", "INFO",
                    "--without-mingle", "--without-gossip", "--without-heartbeat",
                ],
                env=self.site.env, cwd=REPO, stdout=log, stderr=log,
            )  # fmt: skip
        until(lambda: self.alive() and " ready." in self.output(), self.output())

    def alive(self) -> bool:
        assert self.process is not None
        assert self.process.poll() is None, self.output()
        return True

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)


@pytest.fixture
def site(tmp_path: Path, fleet_redis: FleetRedis) -> Site:
    site = fleet_site(
        tmp_path, fleet_redis, 3, READONLY_SCOPES_FLEET_BROKER=fleet_redis.database(4)
    )
    site.manage("read_only", "off")
    return site


@pytest.fixture
def worker(site: Site) -> Iterator[Worker]:
    worker = Worker(site)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


def rows(site: Site) -> list[str]:
    with closing(sqlite3.connect(site.database)) as connection:
        found = connection.execute("SELECT name FROM testapp_item ORDER BY name")
        return [name for (name,) in found]


def test_tasks_wait_for_the_switch(site: Site, worker: Worker) -> None:
    client = Celery(broker=site.env["READONLY_SCOPES_FLEET_BROKER"])
    client.send_task("fleet.add_item", ["before"])
    until(lambda: rows(site) == ["before"], worker.output())

    site.manage("read_only", "on")
    for task in ["add_item", "add_item_decorated", "add_item_listed", "add_item_once"]:
        client.send_task(f"fleet.{task}", [task.replace("add_item", "during")])
    # Exempt tasks write; the others are held back, retried while it lasts.
    until(lambda: worker.output().count(DEFERRED) >= 3, worker.output())
    # A task that allows no retries fails with the error, in the open.
    failed = "Task fleet.add_item_once[{}] raised unexpected: ReadOnlyError('Write"
    until(lambda: "raised unexpected" in worker.output(), worker.output())
    log = worker.output()
    assert rows(site) == ["before", "during_decorated", "during_listed"]
    assert "no retries left (max_retries=0)." in log
    task_id = log.split("Task fleet.add_item_once[")[1].split("]")[0]
    assert failed.format(task_id) in log
    assert "inside read_only() for the site switch (DJANGO_READ_ONLY_FOLLOW" in log

    site.manage("read_only", "off")
    until(lambda: "during" in rows(site), worker.output())
    client.send_task("fleet.add_item", ["after"])
    until(lambda: "after" in rows(site), worker.output())
    # Once each, and the one out of retries never.
    assert rows(site) == [
        "after", "before", "during", "during_decorated", "during_listed"
    ]  # fmt: skip
    client.close()


@pytest.fixture
def app() -> Celery:
    return Celery(
        "in-process",
        broker="memory://",
        task_cls="readonly_scopes.integrations.celery:ReadOnlyTask",
    )


def add(name: str) -> None:
    Item.objects.create(name=name)


@pytest.mark.django_db(transaction=True)
@override_settings(
    DJANGO_READ_ONLY_FOLLOW_SWITCH=True, DJANGO_READ_ONLY_EXEMPT_TASKS=["listed"]
)
def test_the_base_class_in_this_process(
    app: Celery, caplog: pytest.LogCaptureFixture
) -> None:
    # Eagerly applied tasks retry at once, not after the countdown.
    retried = app.task(name="retried", max_retries=2)(add)
    listed = app.task(name="listed")(add)
    SWITCH.turn_on(60)
    failed = retried.apply(("a",))
    assert failed.state == "FAILURE"
    assert isinstance(failed.result, ReadOnlyError)
    deferrals = [
        record.getMessage().split("; ")[1]
        for record in caplog.records
        if record.name == "readonly_scopes" and str(record.msg).startswith("Task ")
    ]
    assert deferrals == ["it is retried in 60 s."] * 2 + [
        "it fails: it has no retries left (max_retries=2)."
    ]
    assert listed.apply(("b",)).state == "SUCCESS"
    SWITCH.turn_off()
    assert retried.apply(("c",)).state == "SUCCESS"
    assert sorted(Item.objects.values_list("name", flat=True)) == ["b", "c"]


@pytest.mark.parametrize(
    ("seconds", "retry_after", "delay"),
    [(None, 60, 60), (3600, 60, 60), (10, 60, 10), (None, 0.5, 1)],
)
def test_retry_delay(seconds: int | None, retry_after: float, delay: int) -> None:
    state = SWITCH.turn_on(seconds)
    with override_settings(DJANGO_READ_ONLY_RETRY_AFTER=retry_after):
        assert retry_delay(state) in (delay, delay - 1)
