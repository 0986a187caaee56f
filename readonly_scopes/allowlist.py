"""
The write allow-list, ``DJANGO_READ_ONLY_ALLOWED_TABLES``: an INSERT, UPDATE
or DELETE whose only target is a listed table runs in read-only scopes.
``readonly_scopes.sql.targets`` finds that target; anything else stays
blocked.
"""

from __future__ import annotations

from readonly_scopes.conf import CONF
from readonly_scopes.sql.targets import write_target

CACHE_LIMIT = 1024
NOT_CACHED = ""


class AllowList:
    __slots__ = ("tables", "targets")

    def __init__(self) -> None:
        self.tables: frozenset[str] = frozenset()
        self.targets: dict[tuple[str, bool, str], str | None] = {}

    def load_from_configuration(self) -> None:
        self.tables = frozenset(table.upper() for table in CONF.allowed_tables)
        self.targets.clear()

    def allows(self, sql: str, vendor: str, with_params: bool = False) -> bool:
        if not self.tables:
            return False
        key = (vendor, with_params, sql)
        # A local copy: another thread may clear the cache in between.
        target = self.targets.get(key, NOT_CACHED)
        if target is NOT_CACHED:
            target = write_target(sql, vendor, with_params)
            if len(self.targets) >= CACHE_LIMIT:
                self.targets.clear()
            self.targets[key] = target
        return target in self.tables


ALLOWED = AllowList()
