"""
The live-site settings on a database server a failover test started, which
READONLY_SCOPES_FAILOVER_* describe, with DJANGO_READ_ONLY_FOLLOW_DATABASE.
"""

from __future__ import annotations

import os

from tests.live.settings import *  # noqa: F403

DATABASES = {
    "default": {
        "ENGINE": os.environ["READONLY_SCOPES_FAILOVER_ENGINE"],
        "HOST": os.environ["READONLY_SCOPES_FAILOVER_HOST"],
        "PORT": os.environ.get("READONLY_SCOPES_FAILOVER_PORT", ""),
        "NAME": os.environ["READONLY_SCOPES_FAILOVER_NAME"],
        "USER": os.environ["READONLY_SCOPES_FAILOVER_USER"],
        "PASSWORD": os.environ.get("READONLY_SCOPES_FAILOVER_PASSWORD", ""),
    }
}
DJANGO_READ_ONLY_FOLLOW_DATABASE = True
DJANGO_READ_ONLY_DATABASE_PERIOD = float(
    os.environ.get("READONLY_SCOPES_FAILOVER_PERIOD", "2")
)
# Every 500 in the server's log, with its traceback.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "readonly_scopes": {"handlers": ["stderr"], "level": "INFO"},
        "django.request": {"handlers": ["stderr"], "level": "ERROR"},
    },
}
