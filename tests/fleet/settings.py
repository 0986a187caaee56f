"""
The live-site settings, for processes that follow the switch: management
commands and a Celery worker whose broker READONLY_SCOPES_FLEET_BROKER names.
"""

from __future__ import annotations

import os
from importlib.util import find_spec

from tests.live.settings import *  # noqa: F403

DJANGO_READ_ONLY_FOLLOW_SWITCH = True
DJANGO_READ_ONLY_RETRY_AFTER = 1
DJANGO_READ_ONLY_EXEMPT_TASKS = ["fleet.add_item_listed"]
DJANGO_READ_ONLY_EXEMPT_COMMANDS = [
    "migrate",
    *filter(None, [os.environ.get("READONLY_SCOPES_FLEET_EXEMPT_COMMANDS")]),
]

# Django's tasks framework with a database worker (db_worker); before Django
# 6.0, through the django_tasks backport.
INSTALLED_APPS = [
    *INSTALLED_APPS,  # noqa: F405
    *([] if find_spec("django.tasks") else ["django_tasks"]),
    "django_tasks_db",
]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DJANGO_READ_ONLY_EXEMPT_TASKS += ["tests.fleet.django_tasks.add_item_listed"]
