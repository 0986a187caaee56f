"""
Deciding whether one SQL string only reads.

The guard calls ``is_read(sql, vendor)`` and nothing else from here, so this
module can be replaced wholesale. It fails closed: any text it cannot read
with confidence is treated as a write.
"""

from __future__ import annotations

import re
from functools import lru_cache

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*|@+[A-Za-z0-9_$.]*|\S")

# Words that make a query-shaped statement (SELECT, WITH, VALUES, TABLE) write:
# data-modifying CTEs, SELECT INTO, row locks and sequence or large object calls.
WRITING_WORDS = frozenset(
    {"INSERT", "UPDATE", "DELETE", "MERGE", "INTO", "LOCK", "NEXTVAL", "SETVAL"}
    | {"SET_CONFIG", "LOWRITE", "LO_IMPORT", "LO_EXPORT", "LO_CREATE", "LO_CREAT"}
    | {"LO_UNLINK", "LO_FROM_BYTEA", "LO_PUT", "LO_TRUNCATE", "LO_TRUNCATE64"}
)
ROW_LOCK_AFTER_FOR = frozenset({"UPDATE", "SHARE", "NO", "KEY"})

TRANSACTION_CONTROL = frozenset(
    {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"}
)
QUERY_STARTS = frozenset({"SELECT", "WITH", "VALUES", "TABLE"})
INSPECTION_STARTS = frozenset({"SHOW", "DESCRIBE", "DESC"})

# PRAGMAs that only report, in their plain or function-call form.
READING_PRAGMAS = frozenset(
    {
        "TABLE_INFO",
        "TABLE_XINFO",
        "TABLE_LIST",
        "INDEX_LIST",
        "INDEX_INFO",
        "INDEX_XINFO",
        "FOREIGN_KEY_LIST",
        "FOREIGN_KEY_CHECK",
        "FOREIGN_KEYS",
        "DATABASE_LIST",
        "COMPILE_OPTIONS",
        "COLLATION_LIST",
        "FUNCTION_LIST",
        "PRAGMA_LIST",
        "QUERY_ONLY",
        "USER_VERSION",
        "SCHEMA_VERSION",
        "JOURNAL_MODE",
        "PAGE_SIZE",
        "PAGE_COUNT",
        "ENCODING",
        "INTEGRITY_CHECK",
        "QUICK_CHECK",
    }
)


class Unreadable(Exception):
    """The text could not be split into tokens with confidence."""


def mask_literals(sql: str, vendor: str) -> str:
    """
    Replace string literals, quoted identifiers and comments with neutral
    placeholders, so that their contents cannot look like keywords.
    """
    out: list[str] = []
    i, n = 0, len(sql)
    backslash_escapes = vendor == "mysql"
    while i < n:
        char = sql[i]
        if starts_line_comment(sql, i, vendor):
            end = sql.find("\n", i)
            i = n if end == -1 else end
            out.append(" ")
        elif char == "/" and sql.startswith("/*", i):
            # Nested comments (PostgreSQL) and executable comments (MySQL) are
            # left to a fuller parser: refuse rather than guess.
            end = sql.find("*/", i + 2)
            body = sql[i + 2 : end]
            if end == -1 or "/*" in body or body.startswith("!"):
                raise Unreadable
            i = end + 2
            out.append(" ")
        elif char in "'\"`":
            escaped = (backslash_escapes and char != "`") or (
                char == "'" and vendor == "postgresql" and sql[i - 1 : i] in ("E", "e")
            )
            i = skip_quoted(sql, i, char, escaped)
            out.append(" 'x' " if char == "'" else " q ")
        elif char == "[" and vendor == "sqlite":
            end = sql.find("]", i)
            if end == -1:
                raise Unreadable
            i = end + 1
            out.append(" q ")
        elif char == "$" and vendor == "postgresql":
            raise Unreadable
        else:
            out.append(char)
            i += 1
    return "".join(out)


def starts_line_comment(sql: str, i: int, vendor: str) -> bool:
    if vendor == "mysql" and sql[i] == "#":
        return True
    if not sql.startswith("--", i):
        return False
    # MySQL needs white space after "--": "1--1" is arithmetic there, and
    # reading it as a comment would hide the rest of the line.
    return vendor != "mysql" or sql[i + 2 : i + 3] in ("", " ", "\t", "\n", "\r")


def skip_quoted(sql: str, start: int, quote: str, escaped: bool) -> int:
    """Return the index just past the quoted run that starts at ``start``."""
    i = start + 1
    while i < len(sql):
        char = sql[i]
        if escaped and char == "\\":
            i += 2
        elif char == quote:
            if sql.startswith(quote * 2, i):
                i += 2
            else:
                return i + 1
        else:
            i += 1
    raise Unreadable


def statement_is_read(words: list[str], vendor: str) -> bool:
    while words and words[0] == "(":
        words = words[1:]
    if not words:
        return False
    first = words[0]
    if first in QUERY_STARTS:
        return query_is_read(words, vendor)
    if first in TRANSACTION_CONTROL:
        return "WRITE" not in words
    if first in INSPECTION_STARTS:
        return True
    if first == "EXPLAIN":
        return "ANALYZE" not in words and "ANALYSE" not in words
    if first == "SET":
        return set_is_read(words)
    if first == "PRAGMA" and vendor == "sqlite":
        return pragma_is_read(words)
    return False


def query_is_read(words: list[str], vendor: str) -> bool:
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word == "INTO" and vendor == "mysql" and following.startswith("@"):
            continue  # SELECT ... INTO @variable only sets a session variable.
        if word in WRITING_WORDS or word.startswith("LO_"):
            return False
        if word == "FOR" and following in ROW_LOCK_AFTER_FOR:
            return False
    return True


def set_is_read(words: list[str]) -> bool:
    # Only the session settings Django itself sends; everything else might
    # change server state or switch a database's own read-only mode off.
    rest = words[1:]
    if rest[:1] == ["SESSION"]:
        rest = rest[1:]
    if rest[:1] == ["CONSTRAINTS"]:
        return True
    if rest[:3] == ["TRANSACTION", "ISOLATION", "LEVEL"]:
        return "WRITE" not in rest and "ONLY" not in rest
    return rest[:1] == ["FOREIGN_KEY_CHECKS"]


def pragma_is_read(words: list[str]) -> bool:
    if len(words) < 2 or words[1] not in READING_PRAGMAS:
        return False
    if "=" not in words:
        return True
    # Turning foreign key enforcement on or off is part of Django's schema
    # editor and does not change stored data.
    return words[1] == "FOREIGN_KEYS"


@lru_cache(maxsize=2048)
def is_read(sql: str, vendor: str) -> bool:
    """Return True only if every statement in ``sql`` provably only reads."""
    try:
        masked = mask_literals(sql, vendor)
    except Unreadable:
        return False
    statements = [
        [word.upper() for word in WORD.findall(part)] for part in masked.split(";")
    ]
    non_empty = [words for words in statements if words]
    return bool(non_empty) and all(
        statement_is_read(words, vendor) for words in non_empty
    )
