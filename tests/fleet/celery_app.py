"""The Celery app of the worker the tests start: celery -A tests.fleet.celery_app"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.fleet.settings")

app = Celery(
    "fleet",
    broker=os.environ.get("READONLY_SCOPES_FLEET_BROKER", "memory://"),
    task_cls="readonly_scopes.integrations.celery:ReadOnlyTask",
)
app.conf.imports = ["tests.fleet.tasks"]
