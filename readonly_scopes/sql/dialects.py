"""
Which lexer reads which vendor's text, and every way a server may read it
where its settings decide.
"""

from __future__ import annotations

from collections.abc import Callable

from readonly_scopes.sql import mysql, postgresql, sqlite
from readonly_scopes.sql.lexing import Reading, Statements, Unreadable

SPLITTERS: dict[str, Callable[[str, Reading], Statements]] = {
    "postgresql": postgresql.split,
    "mysql": mysql.split,
    "sqlite": sqlite.split,
}
# Each distinct /*!NNNNN version doubles no work, but adds one reading.
MOST_VERSIONS = 3


def split_statements(sql: str, vendor: str, reading: Reading) -> Statements:
    """The statements of ``sql`` as tokens, read as ``reading`` says."""
    splitter = SPLITTERS.get(vendor)
    if splitter is None or "\x00" in sql:
        # Another database's rules are unknown; drivers refuse NUL or cut
        # the text there.
        raise Unreadable
    return splitter(sql, reading)


def readings(sql: str, vendor: str, with_params: bool) -> list[Reading]:
    """
    The readings a statement must be a read in. A backslash reads two ways
    (MySQL's NO_BACKSLASH_ESCAPES and ANSI_QUOTES, PostgreSQL's
    standard_conforming_strings); MySQL's versioned executable comments are
    code or comments depending on the server's version.
    """
    if vendor == "mysql":
        thresholds = [999999]
        found = mysql.versions(sql)
        if len(found) > MOST_VERSIONS:
            raise Unreadable
        if found:
            thresholds = [found[0] - 1, *found]
        modes = [(True, True)]
        if "\\" in sql:
            modes.append((False, False))
            if '"' in sql:
                modes.append((True, False))
        flavours = [True, False] if "/*M!" in sql else [True]
        return [
            Reading(escapes, double, with_params, version, mariadb)
            for escapes, double in modes
            for version in thresholds
            for mariadb in flavours
        ]
    if vendor == "postgresql" and "\\" in sql:
        return [Reading(False, False, with_params), Reading(True, False, with_params)]
    return [Reading(with_params=with_params)]
