"""Tasks that write, exempt or not."""

from __future__ import annotations

from readonly_scopes import temp_writes
from tests.fleet.celery_app import app
from tests.testapp.models import Item


@app.task(name="fleet.add_item", max_retries=None)
def add_item(name: str) -> None:
    Item.objects.create(name=name, owner="celery")


@app.task(name="fleet.add_item_decorated")
@temp_writes
def add_item_decorated(name: str) -> None:
    Item.objects.create(name=name, owner="celery")


@app.task(name="fleet.add_item_listed")
def add_item_listed(name: str) -> None:
    Item.objects.create(name=name, owner="celery")


@app.task(name="fleet.add_item_once", max_retries=0)
def add_item_once(name: str) -> None:
    Item.objects.create(name=name, owner="celery")
