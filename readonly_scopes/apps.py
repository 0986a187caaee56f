from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed
from django.db import connections
from django.db.backends.signals import connection_created

from readonly_scopes.allowlist import ALLOWED
from readonly_scopes.audit import AUDIT
from readonly_scopes.backstop import reload_coverage
from readonly_scopes.backstop.coverage import COVERAGE, SETTING
from readonly_scopes.checks import check_settings
from readonly_scopes.guard import install, install_on_created
from readonly_scopes.state import FLAG


class ReadOnlyScopesConfig(AppConfig):
    name = "readonly_scopes"
    verbose_name = "readonly_scopes"

    def ready(self) -> None:
        load_flag()
        COVERAGE.load_from_configuration()
        ALLOWED.load_from_configuration()
        setting_changed.connect(reload_setting, dispatch_uid="readonly_scopes_flag")
        checks.register(check_settings)
        # Wrappers made later, in other threads, get the guard when they connect.
        for connection in connections.all():
            install(connection)
        connection_created.connect(
            install_on_created, dispatch_uid="readonly_scopes_guard"
        )


def load_flag() -> None:
    FLAG.load_from_configuration()
    AUDIT.update(configured=not FLAG.writes_pass)


def reload_setting(setting: str, **kwargs: object) -> None:
    if setting == "DJANGO_READ_ONLY":
        load_flag()
        # The backstop's default coverage follows the configured flag.
        reload_coverage()
    elif setting in (SETTING, "DJANGO_READ_ONLY_WARN_ONLY"):
        reload_coverage()
    elif setting == "DJANGO_READ_ONLY_ALLOWED_TABLES":
        ALLOWED.load_from_configuration()
