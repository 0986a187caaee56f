from __future__ import annotations

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "example-only-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "readonly_scopes",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "library",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Right after authentication, so staff can be exempt.
    "readonly_scopes.middleware.ReadOnlySiteMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "readonly_scopes.context_processors.read_only",
            ]
        },
    }
]

# The site-wide switch lives in this cache. A directory works across the
# processes of one machine; use Redis or Memcached across machines.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": BASE_DIR / ".cache",
    }
}
DJANGO_READ_ONLY_CACHE_REFRESH = 2
DJANGO_READ_ONLY_EXEMPT_STAFF = True
DJANGO_READ_ONLY_ALLOWED_TABLES = ["django_session"]

ROOT_URLCONF = "example.urls"
ASGI_APPLICATION = "example.asgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }
}

# DJANGO_READ_ONLY is not set here, so the environment variable decides:
#   DJANGO_READ_ONLY=1 python example/manage.py runserver
# For the whole site, from any shell, while runserver runs:
#   python example/manage.py read_only on --for 10m
