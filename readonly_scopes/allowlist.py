"""
The write allow-list, ``DJANGO_READ_ONLY_ALLOWED_TABLES``: an INSERT, UPDATE
or DELETE whose only target is a listed table runs in read-only scopes.

A statement counts only when it is plainly about that one table: one
statement, no CTE, subquery, join, ``FROM``/``USING`` clause or function
call, and no column qualified by another table. Anything else stays blocked.
"""

from __future__ import annotations

from readonly_scopes.conf import setting
from readonly_scopes.sql_tokens import Unreadable, split_statements

# Words after which "(" opens a list, not a function's arguments.
LIST_OPENERS = frozenset({"VALUES", "IN", "AND", "OR", "NOT", "WHERE", "SET", ","})
ELSEWHERE = frozenset(
    {"SELECT", "WITH", "FROM", "JOIN", "USING", "UNION", "INTO", "TABLE", "CALL"}
)
STARTS = {"INSERT": "INTO", "UPDATE": None, "DELETE": "FROM"}
# What may follow the table's name: no aliases, no second table.
NEXT = {
    "INSERT": frozenset({"(", "VALUES", "DEFAULT"}),
    "UPDATE": frozenset({"SET"}),
    "DELETE": frozenset({"WHERE", None}),
}
CACHE_LIMIT = 1024
NOT_CACHED = ""


class AllowList:
    __slots__ = ("tables", "targets")

    def __init__(self) -> None:
        self.tables: frozenset[str] = frozenset()
        self.targets: dict[tuple[str, str], str | None] = {}

    def load_from_configuration(self) -> None:
        self.tables = frozenset(
            table.upper() for table in setting("DJANGO_READ_ONLY_ALLOWED_TABLES")
        )
        self.targets.clear()

    def allows(self, sql: str, vendor: str) -> bool:
        if not self.tables:
            return False
        key = (vendor, sql)
        # A local copy: another thread may clear the cache in between.
        target = self.targets.get(key, NOT_CACHED)
        if target is NOT_CACHED:
            target = write_target(sql, vendor)
            if len(self.targets) >= CACHE_LIMIT:
                self.targets.clear()
            self.targets[key] = target
        return target in self.tables


def write_target(sql: str, vendor: str) -> str | None:
    """The one table a plain INSERT, UPDATE or DELETE writes, upper-cased."""
    readings: list[bool | None] = [None]
    if "\\" in sql and vendor in ("mysql", "postgresql"):
        readings = [True, False]
    try:
        targets = {
            single_target(split_statements(sql, vendor, escapes))
            for escapes in readings
        }
    except Unreadable:
        return None
    return targets.pop() if len(targets) == 1 else None


def single_target(statements: list[list[str]]) -> str | None:
    if len(statements) != 1:
        return None
    tokens = statements[0]
    if not tokens or tokens[0] not in STARTS:
        return None
    position = 1
    if STARTS[tokens[0]] is not None:
        if tokens[1:2] != [STARTS[tokens[0]]]:
            return None
        position = 2
    # An optional schema: name . name
    if tokens[position + 1 : position + 2] == ["."]:
        position += 2
    if position >= len(tokens) or not is_name(tokens[position]):
        return None
    table = tokens[position].lstrip('"`')
    rest = tokens[position + 1 :]
    if (rest[0] if rest else None) not in NEXT[tokens[0]]:
        return None
    for index, token in enumerate(rest):
        before = rest[index - 1] if index else None
        if token in ELSEWHERE or token == ";":
            return None
        if (
            token == "("
            and before is not None
            and before not in LIST_OPENERS
            and is_name(before)
        ):
            return None
        if token == "." and (before is None or before.lstrip('"`') != table):
            return None
    return table


def is_name(token: str) -> bool:
    return token[:1] in ('"', "`") or token[:1].isalpha() or token[:1] == "_"


ALLOWED = AllowList()
