"""
The live-site settings, for processes that follow the switch: management
commands and a Celery worker whose broker READONLY_SCOPES_FLEET_BROKER names.
"""

from __future__ import annotations

import os

from tests.live.settings import *  # noqa: F403

DJANGO_READ_ONLY_FOLLOW_SWITCH = True
DJANGO_READ_ONLY_RETRY_AFTER = 1
DJANGO_READ_ONLY_EXEMPT_TASKS = ["fleet.add_item_listed"]
CELERY_BROKER = os.environ.get("READONLY_SCOPES_FLEET_BROKER", "memory://")
DJANGO_READ_ONLY_EXEMPT_COMMANDS = [
    "migrate",
    *filter(None, [os.environ.get("READONLY_SCOPES_FLEET_EXEMPT_COMMANDS")]),
]
