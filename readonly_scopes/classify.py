"""
Deciding whether SQL text only reads.

The guard calls ``is_read(sql, vendor)``, and ``statement_text()`` for
statements that are not plain strings. A
statement is a write when the database would refuse it in its own read-only
mode, or when it has an effect that mode misses (files, large objects, server
or account settings, switching the read-only mode off). Anything this module
cannot read with confidence counts as a write: it fails closed.

The text is split into tokens per dialect (``sqlite``, ``postgresql``,
``mysql``), so comments, string literals and quoted identifiers never look like
keywords, and MySQL's executable comments (``/*! ... */``) are read as code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from readonly_scopes.sql_tokens import Unreadable, split_statements

# Verdicts for statement texts seen before. Django sends the same
# parameterised SQL again and again; long texts (bulk inserts) are not kept.
CACHE_LIMIT = 4096
LONGEST_CACHED = 2048
# Statements are shown flattened and cut to this length in messages.
LONGEST_STATEMENT_SHOWN = 200
verdicts: dict[str, dict[str, bool]] = {}

QUERY_STARTS = frozenset({"SELECT", "WITH", "VALUES", "TABLE"})
DATA_CHANGES = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE"})
ROW_LOCKS_AFTER_FOR = frozenset({"UPDATE", "SHARE", "NO", "KEY"})
FALSE_OPTIONS = frozenset({"FALSE", "OFF", "0"})
TRUE_VALUES = frozenset({"1", "ON", "TRUE", "YES"})

# Functions that change data or state outside tables even when called from a
# SELECT in a read-only transaction.
WRITING_FUNCTIONS = {
    "postgresql": frozenset(
        {
            "NEXTVAL",
            "SETVAL",
            "LOWRITE",
            "PG_TERMINATE_BACKEND",
            "PG_CANCEL_BACKEND",
            "PG_RELOAD_CONF",
            "PG_ROTATE_LOGFILE",
            "PG_SWITCH_WAL",
            "PG_PROMOTE",
            "PG_CREATE_RESTORE_POINT",
            "PG_FILE_WRITE",
            "PG_LOGICAL_EMIT_MESSAGE",
            "PG_CREATE_LOGICAL_REPLICATION_SLOT",
            "PG_CREATE_PHYSICAL_REPLICATION_SLOT",
            "PG_DROP_REPLICATION_SLOT",
            "DBLINK_EXEC",
        }
    ),
    "mysql": frozenset({"NEXTVAL", "SETVAL"}),
    "sqlite": frozenset({"LOAD_EXTENSION"}),
}

TRANSACTION_STARTS = frozenset(
    {"BEGIN", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"}
)
TRANSACTION_WORDS = TRANSACTION_STARTS | frozenset(
    {
        "WORK",
        "TRANSACTION",
        "DEFERRED",
        "IMMEDIATE",
        "EXCLUSIVE",
        "ISOLATION",
        "LEVEL",
        "READ",
        "ONLY",
        "COMMITTED",
        "UNCOMMITTED",
        "REPEATABLE",
        "SERIALIZABLE",
        "DEFERRABLE",
        "AND",
        "CHAIN",
        "WITH",
        "CONSISTENT",
        "SNAPSHOT",
        "TO",
        ",",
    }
)
SAVEPOINT_NAME_AFTER = frozenset({"SAVEPOINT", "TO", "RELEASE"})

# PRAGMAs whose value lasts only for the connection and changes no file.
SESSION_PRAGMAS = frozenset(
    {
        "AUTOMATIC_INDEX",
        "BUSY_TIMEOUT",
        "CACHE_SIZE",
        "CACHE_SPILL",
        "CASE_SENSITIVE_LIKE",
        "CELL_SIZE_CHECK",
        "DEFER_FOREIGN_KEYS",
        "FOREIGN_KEYS",
        "LEGACY_ALTER_TABLE",
        "READ_UNCOMMITTED",
        "RECURSIVE_TRIGGERS",
        "REVERSE_UNORDERED_SELECTS",
    }
)
# PRAGMAs whose argument names a table or index, or caps a check's output.
TABLE_PRAGMAS = frozenset(
    {
        "FOREIGN_KEY_CHECK",
        "FOREIGN_KEY_LIST",
        "INDEX_INFO",
        "INDEX_LIST",
        "INDEX_XINFO",
        "INTEGRITY_CHECK",
        "QUICK_CHECK",
        "TABLE_INFO",
        "TABLE_LIST",
        "TABLE_XINFO",
    }
)
# PRAGMAs that only report when asked without a value.
REPORTING_PRAGMAS = (
    SESSION_PRAGMAS
    | TABLE_PRAGMAS
    | frozenset(
        {
            "APPLICATION_ID",
            "AUTO_VACUUM",
            "COLLATION_LIST",
            "COMPILE_OPTIONS",
            "DATABASE_LIST",
            "DATA_VERSION",
            "ENCODING",
            "FREELIST_COUNT",
            "FUNCTION_LIST",
            "JOURNAL_MODE",
            "JOURNAL_SIZE_LIMIT",
            "LOCKING_MODE",
            "MAX_PAGE_COUNT",
            "MMAP_SIZE",
            "MODULE_LIST",
            "PAGE_COUNT",
            "PAGE_SIZE",
            "PRAGMA_LIST",
            "QUERY_ONLY",
            "SCHEMA_VERSION",
            "SECURE_DELETE",
            "SYNCHRONOUS",
            "TEMP_STORE",
            "USER_VERSION",
            "WAL_AUTOCHECKPOINT",
        }
    )
)
MYSQL_SERVER_SCOPES = ("GLOBAL", "PERSIST", "@@GLOBAL", "@@PERSIST")


def verdicts_for(vendor: str) -> dict[str, bool]:
    """The cache of verdicts for one vendor: the guard reads it directly."""
    cache = verdicts.get(vendor)
    if cache is None:
        cache = verdicts[vendor] = {}
    return cache


def is_read(sql: str, vendor: str) -> bool:
    """Return True only if every statement in ``sql`` provably only reads."""
    cache = verdicts_for(vendor)
    verdict = cache.get(sql)
    if verdict is None:
        verdict = classify(sql, vendor)
        if len(sql) <= LONGEST_CACHED:
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            cache[sql] = verdict
    return verdict


def classify(sql: str, vendor: str) -> bool:
    # Servers can be set to read backslashes in string literals either way
    # (MySQL's NO_BACKSLASH_ESCAPES, PostgreSQL's standard_conforming_strings):
    # where that matters, both readings must be reads.
    escape_modes: list[bool | None] = [None]
    if "\\" in sql and vendor in ("mysql", "postgresql"):
        escape_modes = [True, False]
    try:
        readings = [split_statements(sql, vendor, mode) for mode in escape_modes]
    except Unreadable:
        return False
    return all(
        statements and all(statement_is_read(tokens, vendor) for tokens in statements)
        for statements in readings
    )


def statement_is_read(tokens: list[str], vendor: str) -> bool:
    start = 0
    while start < len(tokens) and tokens[start] == "(":
        start += 1
    tokens = tokens[start:]
    if not tokens:
        return False
    first = tokens[0]
    if first in QUERY_STARTS:
        return query_is_read(tokens, vendor)
    if first in ("EXPLAIN", "DESCRIBE", "DESC"):
        return explain_is_read(tokens, vendor)
    if first == "SHOW":
        return True
    if first in TRANSACTION_STARTS:
        return transaction_is_read(tokens)
    if first == "START":
        return tokens[1:2] == ["TRANSACTION"] and transaction_is_read(tokens[2:])
    if first == "SET":
        return set_is_read(tokens, vendor)
    return other_is_read(tokens, vendor)


def other_is_read(tokens: list[str], vendor: str) -> bool:
    handler = DIALECT_STATEMENTS.get(vendor, {}).get(tokens[0])
    return handler is not None and handler(tokens)


def query_is_read(tokens: list[str], vendor: str) -> bool:
    writing_functions = WRITING_FUNCTIONS.get(vendor, frozenset())
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if token in DATA_CHANGES:
            return False
        if token == "INTO":
            # SELECT ... INTO @variable only sets a session variable.
            if vendor == "mysql" and following.startswith("@"):
                continue
            return False
        if token == "FOR" and following in ROW_LOCKS_AFTER_FOR:
            return False
        if token == "LOCK" and following == "IN":
            return False
        if token == "NEXT" and following == "VALUE":
            return False
        if following == "(" and function_writes(
            tokens, index, vendor, writing_functions
        ):
            return False
    return True


def function_writes(
    tokens: list[str], index: int, vendor: str, writing_functions: frozenset[str]
) -> bool:
    name = tokens[index].lstrip('"')  # A quoted name calls the same function.
    if name in writing_functions:
        return True
    if vendor != "postgresql":
        return False
    if name.startswith("LO_") or name == "LOREAD":
        return True
    if name == "SET_CONFIG":
        # Only a literal setting name can be shown not to switch read-only off.
        argument = tokens[index + 2] if index + 2 < len(tokens) else ""
        return not argument.startswith("'") or "READ_ONLY" in argument.upper()
    return False


def explain_is_read(tokens: list[str], vendor: str) -> bool:
    """
    EXPLAIN only plans, unless ANALYZE makes it run the statement. MariaDB
    refuses to plan a write in read-only mode, so there the statement decides.
    """
    position = 1
    analyze = False
    if vendor == "postgresql" and tokens[1:2] == ["("]:
        closing = tokens.index(")") if ")" in tokens else len(tokens)
        options = tokens[2:closing]
        for offset, option in enumerate(options):
            if option in ("ANALYZE", "ANALYSE"):
                value = options[offset + 1] if offset + 1 < len(options) else ","
                analyze = analyze or value not in FALSE_OPTIONS
        position = closing + 1
    while position < len(tokens) and tokens[position] not in STATEMENT_STARTS:
        analyze = analyze or tokens[position] in ("ANALYZE", "ANALYSE")
        position += 1
    if position >= len(tokens):
        return not analyze  # EXPLAIN table: a description.
    if analyze or vendor == "mysql":
        return statement_is_read(tokens[position:], vendor)
    return True


STATEMENT_STARTS = (
    QUERY_STARTS | DATA_CHANGES | {"REPLACE", "CREATE", "EXECUTE", "DECLARE"}
)


def transaction_is_read(words: list[str]) -> bool:
    """Transaction control reads, unless it switches to read-write."""
    for index, word in enumerate(words):
        before = words[index - 1] if index else ""
        if before in SAVEPOINT_NAME_AFTER and word not in ("SAVEPOINT", "TO"):
            continue  # A savepoint's name.
        if word == "NOT":
            if words[index + 1 : index + 2] != ["DEFERRABLE"]:
                return False
        elif word == "NO":
            if words[index + 1 : index + 2] not in (["CHAIN"], ["RELEASE"]):
                return False
        elif word not in TRANSACTION_WORDS:
            return False
    return True


def cursor_is_read(tokens: list[str]) -> bool:
    if "CURSOR" not in tokens:
        return False
    rest = tokens[tokens.index("CURSOR") + 1 :]
    if "FOR" not in rest:
        return False
    return statement_is_read(rest[rest.index("FOR") + 1 :], "postgresql")


def copy_is_read(tokens: list[str]) -> bool:
    """COPY ... TO STDOUT reads; to a file or program, or FROM, it writes."""
    if tokens[1:2] == ["("]:
        closing = closing_parenthesis(tokens, 1)
        if closing == -1 or not statement_is_read(tokens[2:closing], "postgresql"):
            return False
        rest = tokens[closing + 1 :]
    else:
        rest = tokens[1:]
    if "TO" not in rest:
        return False
    to = rest.index("TO")
    return "FROM" not in rest[:to] and rest[to + 1 : to + 2] == ["STDOUT"]


def closing_parenthesis(tokens: list[str], opening: int) -> int:
    depth = 0
    for index in range(opening, len(tokens)):
        depth += {"(": 1, ")": -1}.get(tokens[index], 0)
        if depth == 0:
            return index
    return -1


def reset_is_read(tokens: list[str]) -> bool:
    return tokens[1:2] != ["ALL"] and not switches_read_only(tokens)


def mysql_analyze_is_read(tokens: list[str]) -> bool:
    # MariaDB runs the statement it analyzes; ANALYZE TABLE writes statistics.
    return tokens[1:2] not in ([], ["TABLE"]) and statement_is_read(tokens[1:], "mysql")


def only_reads(tokens: list[str]) -> bool:
    return True


def switches_read_only(tokens: list[str]) -> bool:
    # default_transaction_read_only, transaction_read_only, tx_read_only.
    return any(token.endswith("READ_ONLY") for token in tokens)


def set_is_read(tokens: list[str], vendor: str) -> bool:
    words = tokens[1:]
    if vendor == "postgresql":
        return postgresql_set_is_read(words)
    if vendor == "mysql":
        return mysql_set_is_read(words)
    return False


def postgresql_set_is_read(words: list[str]) -> bool:
    if words[:1] == ["CONSTRAINTS"]:
        return True
    if words[:2] == ["SESSION", "CHARACTERISTICS"] or switches_read_only(words):
        return False
    if words[:1] in (["SESSION"], ["LOCAL"]):
        words = words[1:]
    if words[:1] == ["TRANSACTION"]:
        return "WRITE" not in words
    # Other session settings (search_path, TIME ZONE, ROLE) change no data.
    return True


def mysql_set_is_read(words: list[str]) -> bool:
    if any(word.startswith(MYSQL_SERVER_SCOPES) for word in words):
        return False
    if words[:1] == ["PASSWORD"] or words[:2] == ["DEFAULT", "ROLE"]:
        return False
    if switches_read_only(words) or "WRITE" in words:
        return False
    if words[:1] == ["STATEMENT"]:
        # MariaDB's SET STATEMENT var = value FOR <statement>.
        if "FOR" not in words:
            return False
        return statement_is_read(words[words.index("FOR") + 1 :], "mysql")
    # Session variables; their values may hold subqueries and function calls.
    return query_is_read(words, "mysql")


def pragma_is_read(tokens: list[str]) -> bool:
    if tokens[2:3] == ["."]:
        tokens = [tokens[0], *tokens[3:]]  # PRAGMA schema.name
    name = tokens[1] if len(tokens) > 1 else ""
    value = [token for token in tokens[2:] if token not in ("=", "(", ")")]
    if not value:
        return name in REPORTING_PRAGMAS
    if name in TABLE_PRAGMAS or name in SESSION_PRAGMAS:
        return True
    # Turning query_only on is fine; turning it off is a policy write.
    return name == "QUERY_ONLY" and value[0] in TRUE_VALUES


# Statements that only some dialects have, by their first word.
DIALECT_STATEMENTS: dict[str, dict[str, Callable[[list[str]], bool]]] = {
    "postgresql": {
        "DECLARE": cursor_is_read,
        "FETCH": only_reads,
        "MOVE": only_reads,
        "CLOSE": only_reads,
        "COPY": copy_is_read,
        "RESET": reset_is_read,
    },
    "mysql": {"ANALYZE": mysql_analyze_is_read},
    "sqlite": {"PRAGMA": pragma_is_read, "DETACH": only_reads},
}


def statement_text(sql: Any, connection: BaseDatabaseWrapper) -> str | None:
    """Return the SQL text of a statement, or None when it cannot be read."""
    if isinstance(sql, str):
        return sql
    if isinstance(sql, bytes):
        try:
            return sql.decode()
        except UnicodeDecodeError:
            return None
    # psycopg's sql.Composable (and psycopg2's) render against a connection.
    as_string = getattr(sql, "as_string", None)
    if not callable(as_string):
        return None
    try:
        text = as_string(connection.connection)
    except Exception:
        return None
    return text if isinstance(text, str) else None


def shorten(statement: str) -> str:
    flat = " ".join(statement.split())
    if len(flat) <= LONGEST_STATEMENT_SHOWN:
        return flat
    return flat[: LONGEST_STATEMENT_SHOWN - 1] + "…"
