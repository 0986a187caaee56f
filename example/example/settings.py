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
    "library",
]

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
