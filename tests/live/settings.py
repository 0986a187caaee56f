"""
Settings for the servers the live-site tests start in other processes: one
SQLite file, and a cache the test process shares with them (a directory,
Redis when READONLY_SCOPES_LIVE_REDIS gives its address, or the database cache
when READONLY_SCOPES_LIVE_CACHE is "database").
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["READONLY_SCOPES_LIVE_DB"],
        "OPTIONS": {"timeout": 60},
    }
}
TIMEOUT = float(os.environ.get("READONLY_SCOPES_LIVE_TIMEOUT", "1"))
if os.environ.get("READONLY_SCOPES_LIVE_REDIS"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["READONLY_SCOPES_LIVE_REDIS"],
            "KEY_PREFIX": os.environ["READONLY_SCOPES_LIVE_PREFIX"],
            "OPTIONS": {"socket_timeout": TIMEOUT, "socket_connect_timeout": TIMEOUT},
        }
    }
elif os.environ.get("READONLY_SCOPES_LIVE_CACHE") == "database":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "rs_live_cache",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ["READONLY_SCOPES_LIVE_CACHE_DIR"],
        }
    }
DJANGO_READ_ONLY_CACHE_REFRESH = float(
    os.environ.get("READONLY_SCOPES_LIVE_REFRESH", "0.2")
)
DJANGO_READ_ONLY_ANNOUNCE_AHEAD = float(
    os.environ.get("READONLY_SCOPES_LIVE_ANNOUNCE", "86400")
)
DJANGO_READ_ONLY_FAIL_CLOSED = bool(os.environ.get("READONLY_SCOPES_LIVE_FAIL_CLOSED"))
DJANGO_READ_ONLY_EXEMPT_PATHS = ["/exempt/"]
DJANGO_READ_ONLY_EXEMPT = os.environ.get(
    "READONLY_SCOPES_LIVE_EXEMPT", "tests.site_views.exempt_header"
)
DJANGO_READ_ONLY_SAFE_METHODS = os.environ.get("READONLY_SCOPES_LIVE_SAFE_METHODS")
ALLOWED_HOSTS = ["127.0.0.1"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"readonly_scopes": {"handlers": ["stderr"], "level": "INFO"}},
}
