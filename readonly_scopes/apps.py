from __future__ import annotations

from django.apps import AppConfig
from django.core.signals import setting_changed
from django.db import connections
from django.db.backends.signals import connection_created

from readonly_scopes.backstop import follow, reload_coverage
from readonly_scopes.enforcement import ENFORCEMENT, SETTING
from readonly_scopes.guard import install, install_on_created
from readonly_scopes.state import FLAG


class ReadOnlyScopesConfig(AppConfig):
    name = "readonly_scopes"
    verbose_name = "readonly_scopes"

    def ready(self) -> None:
        FLAG.load_from_configuration()
        setting_changed.connect(reload_flag, dispatch_uid="readonly_scopes_flag")
        ENFORCEMENT.load_from_configuration()
        # Wrappers made later, in other threads, get the guard when they connect.
        for connection in connections.all():
            install(connection)
        connection_created.connect(
            install_on_created, dispatch_uid="readonly_scopes_guard"
        )


def reload_flag(setting: str, **kwargs: object) -> None:
    if setting == "DJANGO_READ_ONLY":
        FLAG.load_from_configuration()
        follow()
    elif setting == SETTING:
        reload_coverage()
