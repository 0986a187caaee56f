"""Tasks of Django's tasks framework that write, exempt or not."""

from __future__ import annotations

from importlib.util import find_spec

from readonly_scopes import temp_writes
from readonly_scopes.integrations.tasks import follows_switch
from tests.testapp.models import Item

if find_spec("django.tasks"):
    from django.tasks import task
else:
    from django_tasks import task  # type: ignore[no-redef]


@task()
@follows_switch
def add_item(name: str) -> None:
    Item.objects.create(name=name, owner="django.tasks")


@task()
@follows_switch
@temp_writes
def add_item_decorated(name: str) -> None:
    Item.objects.create(name=name, owner="django.tasks")


@task()
@follows_switch
def add_item_listed(name: str) -> None:
    Item.objects.create(name=name, owner="django.tasks")
