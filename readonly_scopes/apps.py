from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed
from django.db import connections
from django.db.backends.signals import connection_created

from readonly_scopes import admin, failover
from readonly_scopes.allowlist import ALLOWED
from readonly_scopes.backstop import reload_coverage
from readonly_scopes.backstop.coverage import SETTING
from readonly_scopes.checks import check_settings
from readonly_scopes.conf import CONF, RULES
from readonly_scopes.flag import load_flag
from readonly_scopes.guard import install, install_on_created
from readonly_scopes.installed_apps import check_installed_apps
from readonly_scopes.integrations.commands import follow_switch_at_start


class ReadOnlyScopesConfig(AppConfig):
    name = "readonly_scopes"
    verbose_name = "readonly_scopes"

    def ready(self) -> None:
        # In every process, web ones included, where system checks do not run:
        # an invalid setting is logged here, once, and its default applies.
        CONF.load()
        load_flag()
        ALLOWED.load_from_configuration()
        setting_changed.connect(reload_setting, dispatch_uid="readonly_scopes_flag")
        checks.register(check_settings)
        checks.register(check_installed_apps)
        # Wrappers made later, in other threads, get the guard when they connect.
        for connection in connections.all():
            install(connection)
        connection_created.connect(
            install_on_created, dispatch_uid="readonly_scopes_guard"
        )
        failover.start()
        follow_switch_at_start()
        # Django's admin view-only while the site is read-only, when installed.
        admin.install()


def reload_setting(setting: str, **kwargs: object) -> None:
    # The value first: what is reloaded below reads it.
    if setting in RULES:
        CONF.reload(setting)
    if setting == "DJANGO_READ_ONLY":
        load_flag()
    elif setting in (SETTING, "DJANGO_READ_ONLY_WARN_ONLY"):
        reload_coverage()
    elif setting == "DJANGO_READ_ONLY_ALLOWED_TABLES":
        ALLOWED.load_from_configuration()
