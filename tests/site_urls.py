from __future__ import annotations

from pathlib import Path

import django.contrib.admin
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path, re_path
from django.views.static import serve

from tests import site_views
from tests.testapp.admin import other_site

# The admin's CSS and scripts for the browser tests, without staticfiles.
ADMIN_STATIC = Path(django.contrib.admin.__file__).parent / "static"

urlpatterns = [
    path("items/", site_views.items, name="items"),
    path("async-items/", site_views.async_items, name="async-items"),
    path("exempt/items/", site_views.items, name="exempt-items"),
    path("exempt/async-items/", site_views.async_items, name="exempt-async-items"),
    path("named/items/", site_views.items, name="named-items"),
    path("banner/", site_views.banner, name="banner"),
    path("stream/", site_views.stream, name="stream"),
    path("mode/<str:alias>/", site_views.mode, name="mode"),
    path("fallback/<str:alias>/", site_views.fallback, name="fallback"),
    path("async-stream/", site_views.async_stream, name="async-stream"),
    path("exempt/stream/", site_views.stream, name="exempt-stream"),
    path("exempt/async-stream/", site_views.async_stream, name="exempt-async-stream"),
    path("write-on-read/", site_views.write_on_read, name="write-on-read"),
    path(
        "write-on-read/<str:alias>/",
        site_views.write_on_read,
        name="write-on-read-alias",
    ),
    path("exempt/write-on-read/", site_views.write_on_read, name="exempt-write"),
    path("named/write-on-read/", site_views.write_on_read, name="named-write"),
    path("unnamed/write-on-read/", site_views.write_on_read),
    path(
        "async-write-on-read/",
        site_views.async_write_on_read,
        name="async-write-on-read",
    ),
    path(
        "class-write-on-read/",
        site_views.WriteOnReadView.as_view(),
        name="class-write-on-read",
    ),
    path(
        "temp-writes-on-read/",
        site_views.write_in_temp_writes,
        name="temp-writes-on-read",
    ),
    path(
        "read-only-on-read/",
        site_views.write_in_read_only,
        name="read-only-on-read",
    ),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/banner/"), name="logout"),
    path("admin/", admin.site.urls),
    path("other-admin/", other_site.urls),
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": ADMIN_STATIC}),
]
