"""
The one table a plain ``INSERT``, ``UPDATE`` or ``DELETE`` writes, for the
write allow-list.

A statement counts only when it is plainly about that one table: one
statement, no CTE, subquery, join, ``FROM``/``USING`` clause or function
call, and no column qualified by another table; and it must read the same
in every way the server may read it.
"""

from __future__ import annotations

from readonly_scopes.sql.dialects import readings, split_statements
from readonly_scopes.sql.lexing import Statements, Unreadable, upper

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


def write_target(sql: str, vendor: str, with_params: bool = False) -> str | None:
    """The one table a plain INSERT, UPDATE or DELETE writes, upper-cased."""
    try:
        targets = {
            single_target(split_statements(sql, vendor, reading))
            for reading in readings(sql, vendor, with_params)
        }
    except Unreadable:
        return None
    return targets.pop() if len(targets) == 1 else None


def single_target(statements: Statements) -> str | None:
    if len(statements) != 1:
        return None
    tokens = statements[0]
    if tokens[0] not in STARTS:
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
    table = name_of(tokens[position])
    rest = tokens[position + 1 :]
    if (rest[0] if rest else None) not in NEXT[tokens[0]]:
        return None
    for index, token in enumerate(rest):
        before = rest[index - 1] if index else None
        if token in ELSEWHERE:
            return None
        if (
            token == "("
            and before is not None
            and before not in LIST_OPENERS
            and is_name(before)
        ):
            return None
        if token == "." and (before is None or name_of(before) != table):
            return None
    return table


def name_of(token: str) -> str:
    return upper(token[1:]) if token.startswith('"') else token


def is_name(token: str) -> bool:
    return token[:1] == '"' or token[:1].isalpha() or token[:1] == "_"
