"""
Test settings. SQLite is always there; PostgreSQL and MariaDB join as the
aliases "postgresql" and "mariadb" when POSTGRES_HOST / MARIADB_HOST are set.
"""

from __future__ import annotations

import os
import tempfile

SECRET_KEY = "readonly-scopes-tests"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "readonly_scopes",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    # After readonly_scopes, whose admin/base_site.html adds the read-only banner.
    "django.contrib.admin",
    "django.contrib.messages",
    "tests.testapp",
    "tests.zoo",
    # After readonly_scopes, whose shell_plus extends this app's.
    "django_extensions",
]

ROOT_URLCONF = "tests.site_urls"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "readonly_scopes.middleware.ReadOnlySiteMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                # What Django's admin needs.
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "readonly_scopes.context_processors.read_only",
            ]
        },
    }
]
# Users the tests create and log in get their passwords hashed in no time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The admin's pages link their CSS and scripts here; tests.site_urls serves them.
STATIC_URL = "/static/"
# Each test process gets its own switch; the live-server tests share one.
CACHES: dict[str, dict[str, object]] = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": f"readonly-scopes-{os.getpid()}",
    }
}
# No waiting in tests that flip the switch in-process.
DJANGO_READ_ONLY_CACHE_REFRESH = 0.001
SILENCED_SYSTEM_CHECKS = ["readonly_scopes.W001"]

# A file, not memory: the concurrency tests write from many threads at once.
SQLITE_TEST_FILE = os.environ.get("READONLY_SCOPES_SQLITE_FILE") or os.path.join(
    tempfile.gettempdir(), f"readonly_scopes_tests_{os.getpid()}.sqlite3"
)

# Named per process, so that runs side by side (tox environments, a developer
# and CI on one machine) never drop each other's test databases.
SERVER_TEST_DATABASE = f"test_readonly_scopes_{os.getpid()}"

DATABASES: dict[str, dict[str, object]] = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": SQLITE_TEST_FILE,
        "OPTIONS": {"timeout": 60},
        "TEST": {"NAME": SQLITE_TEST_FILE},
    }
}

if os.environ.get("POSTGRES_HOST"):
    DATABASES["postgresql"] = {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ["POSTGRES_HOST"],
        "PORT": os.environ.get("POSTGRES_PORT", "5432"),
        "USER": os.environ.get("POSTGRES_USER", "postgres"),
        "PASSWORD": os.environ.get("POSTGRES_PASSWORD", ""),
        "NAME": os.environ.get("POSTGRES_DB", "test"),
        "TEST": {"NAME": SERVER_TEST_DATABASE},
    }

    # The same test database through Django's psycopg connection pool.
    DATABASES["postgresql_pool"] = {
        **DATABASES["postgresql"],
        "OPTIONS": {"pool": {"min_size": 1, "max_size": 2}},
        "TEST": {"MIRROR": "postgresql"},
    }

if os.environ.get("MARIADB_HOST"):
    DATABASES["mariadb"] = {
        "ENGINE": "django.db.backends.mysql",
        "HOST": os.environ["MARIADB_HOST"],
        "PORT": os.environ.get("MARIADB_PORT", "3306"),
        "USER": os.environ.get("MARIADB_USER", "root"),
        "PASSWORD": os.environ.get("MARIADB_PASSWORD", ""),
        "NAME": os.environ.get("MARIADB_DB", "test"),
        "OPTIONS": {"charset": "utf8mb4"},
        "TEST": {"NAME": SERVER_TEST_DATABASE},
    }
