"""
What statements mean: whether every statement of a text only reads.

A statement is a write when the database would refuse it in its own
read-only mode, or when it has an effect that mode misses (files, large
objects, server administration, server or account settings, switching the
read-only mode off, SQL run from text or over another session). Anything
that cannot be read with confidence counts as a write: it fails closed.

Statements that wrap another (``EXPLAIN``, ``COPY (...)``, ``DECLARE``,
MariaDB's ``SET STATEMENT ... FOR`` and ``ANALYZE``) are peeled in a loop,
never by recursion, so no depth of nesting can exhaust the stack.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

from readonly_scopes.sql.dialects import readings, split_statements
from readonly_scopes.sql.lexing import Reading, RefusedWhole, Unreadable, lower, upper
from readonly_scopes.sql.sessions import Session

QUERY_STARTS = frozenset({"SELECT", "WITH", "VALUES", "TABLE"})
DATA_CHANGES = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE"})
# Only here does a data-changing keyword start a statement: at the start, in
# a CTE's parentheses, or after the CTEs. Elsewhere it is a name.
STATEMENT_BOUNDARIES = frozenset({"(", ")"})
ROW_LOCKS_AFTER_FOR = frozenset({"UPDATE", "SHARE", "NO", "KEY"})
TRUE_VALUES = frozenset({"1", "ON", "TRUE", "YES"})
# PostgreSQL's defGetBoolean() for EXPLAIN options: what turns ANALYZE off.
FALSE_WORDS = frozenset({"false", "off", "0"})
FALSE_STRINGS = frozenset({"false", "off"})

# Server administration, sequences, files and large objects: changes that a
# read-only transaction does not stop, or stops only for some of them.
WRITING_FUNCTIONS = {
    "postgresql": frozenset(
        {
            "NEXTVAL",
            "SETVAL",
            "LOWRITE",
            "LOREAD",
            "PG_TERMINATE_BACKEND",
            "PG_CANCEL_BACKEND",
            "PG_RELOAD_CONF",
            "PG_ROTATE_LOGFILE",
            "PG_LOG_BACKEND_MEMORY_CONTEXTS",
            "PG_SWITCH_WAL",
            "PG_PROMOTE",
            "PG_WAL_REPLAY_PAUSE",
            "PG_WAL_REPLAY_RESUME",
            "PG_CREATE_RESTORE_POINT",
            "PG_BACKUP_START",
            "PG_BACKUP_STOP",
            "PG_START_BACKUP",
            "PG_STOP_BACKUP",
            "PG_FILE_WRITE",
            "PG_FILE_RENAME",
            "PG_FILE_UNLINK",
            "PG_FILE_SYNC",
            "PG_LOGICAL_EMIT_MESSAGE",
            "PG_CREATE_LOGICAL_REPLICATION_SLOT",
            "PG_CREATE_PHYSICAL_REPLICATION_SLOT",
            "PG_DROP_REPLICATION_SLOT",
            "PG_COPY_LOGICAL_REPLICATION_SLOT",
            "PG_COPY_PHYSICAL_REPLICATION_SLOT",
            "PG_REPLICATION_SLOT_ADVANCE",
            "PG_IMPORT_SYSTEM_COLLATIONS",
        }
    ),
    "mysql": frozenset({"NEXTVAL", "SETVAL"}),
    "sqlite": frozenset({"LOAD_EXTENSION"}),
}
WRITING_PREFIXES = (
    "LO_",
    "PG_STAT_RESET",
    "PG_REPLICATION_ORIGIN_",
    "PG_LOGICAL_SLOT_",
)
# Functions that run SQL given as text, or over a session of their own.
SQL_FROM_TEXT = ("QUERY_TO_XML", "CURSOR_TO_XML", "TS_STAT")
OWN_SESSION = "DBLINK"

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
CURSOR_OPTIONS = frozenset({"BINARY", "ASENSITIVE", "INSENSITIVE", "NO", "SCROLL"})
FETCH_WORDS = frozenset(
    {
        "NEXT",
        "PRIOR",
        "FIRST",
        "LAST",
        "ABSOLUTE",
        "RELATIVE",
        "ALL",
        "FORWARD",
        "BACKWARD",
        "FROM",
        "IN",
        "-",
        "+",
    }
)
MYSQL_EXPLAINABLE = frozenset(
    {"SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "REPLACE", "("}
)
MYSQL_SERVER_SCOPES = ("GLOBAL", "PERSIST", "@@GLOBAL", "@@PERSIST")

# PRAGMAs whose value lasts only for the connection and changes no file.
SESSION_PRAGMAS = frozenset(
    {
        "ANALYSIS_LIMIT",
        "AUTOMATIC_INDEX",
        "BUSY_TIMEOUT",
        "CACHE_SIZE",
        "CACHE_SPILL",
        "CASE_SENSITIVE_LIKE",
        "CELL_SIZE_CHECK",
        "DEFER_FOREIGN_KEYS",
        "FOREIGN_KEYS",
        "HARD_HEAP_LIMIT",
        "LEGACY_ALTER_TABLE",
        "READ_UNCOMMITTED",
        "RECURSIVE_TRIGGERS",
        "REVERSE_UNORDERED_SELECTS",
        "SOFT_HEAP_LIMIT",
        "TEMP_STORE",
        "THREADS",
        "TRUSTED_SCHEMA",
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
# PRAGMAs that only report, or free memory, when given no value.
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
            "SHRINK_MEMORY",
            "SYNCHRONOUS",
            "USER_VERSION",
            "WAL_AUTOCHECKPOINT",
        }
    )
)

Step = bool | range  # A verdict, or the tokens of a wrapped statement to judge.


@dataclass(frozen=True)
class Verdict:
    read: bool
    cacheable: bool = True
    reason: str = ""


def classify(
    sql: str, vendor: str, with_params: bool = False, session: Session | None = None
) -> Verdict:
    """Whether every statement of ``sql`` provably only reads, and why not."""
    judge = Judge(vendor, session)
    statements = []
    try:
        for reading in readings(sql, vendor, with_params):
            # Nothing runs when the server refuses the whole text this way.
            with suppress(RefusedWhole):
                statements.append((reading, split_statements(sql, vendor, reading)))
    except Unreadable as error:
        return Verdict(False, reason=str(error))
    read = True
    cursors: list[frozenset[str]] = []
    prepared: list[frozenset[str]] = []
    for reading, tokens_of_each in statements:
        judge.start_reading(reading)
        if not tokens_of_each or not all(map(judge.statement_is_read, tokens_of_each)):
            read = False
            break
        cursors.append(judge.cursors)
        prepared.append(judge.prepared)
    if read and session is not None:
        # What every reading agrees was declared, and nothing any closed.
        session.cursors = frozenset.intersection(*cursors)
        session.prepared = frozenset.intersection(*prepared)
    return Verdict(read, judge.cacheable, judge.reason)


class Judge:
    """The rules, applied to one statement's tokens at a time."""

    def __init__(self, vendor: str, session: Session | None) -> None:
        self.vendor = vendor
        self.session = session or Session()
        self.reading = Reading()
        self.cacheable = True
        self.reason = ""
        self.cursors = self.session.cursors
        self.prepared = self.session.prepared
        self.writing_functions = WRITING_FUNCTIONS.get(vendor, frozenset())
        self.handlers = DIALECT_STATEMENTS.get(vendor, {})

    def start_reading(self, reading: Reading) -> None:
        self.reading = reading
        self.cursors = self.session.cursors
        self.prepared = self.session.prepared

    def block(self, reason: str) -> bool:
        self.reason = self.reason or reason
        return False

    def statement_is_read(self, tokens: list[str]) -> bool:
        span = range(len(tokens))
        while True:
            start, end = span.start, span.stop
            while start < end and tokens[start] == "(":
                start += 1
            if start >= end:
                return False
            step = self.step(tokens, start, end)
            if isinstance(step, bool):
                return step
            span = step

    def step(self, tokens: list[str], start: int, end: int) -> Step:
        first = tokens[start]
        if first in QUERY_STARTS:
            return self.query_is_read(tokens, start, end)
        if first in TRANSACTION_STARTS:
            return transaction_is_read(tokens, start, end)
        if first == "START":
            return tokens[start + 1 : start + 2] == ["TRANSACTION"] and (
                transaction_is_read(tokens, start + 2, end)
            )
        handler = self.handlers.get(first)
        return handler is not None and handler(self, tokens, start, end)

    def query_is_read(self, tokens: list[str], start: int, end: int) -> bool:
        mysql = self.vendor == "mysql"
        for index in range(start, end):
            token = tokens[index]
            following = tokens[index + 1] if index + 1 < end else ""
            if token in DATA_CHANGES and (
                index == start or tokens[index - 1] in STATEMENT_BOUNDARIES
            ):
                return False
            if token == "INTO":
                # SELECT ... INTO @variable only sets a session variable.
                if mysql and following.startswith("@"):
                    continue
                return False
            if token == "FOR" and following in ROW_LOCKS_AFTER_FOR:
                return False
            if token == "NEXT" and following == "VALUE":
                return False
            if following == "(" and self.function_writes(tokens, index, end):
                return False
        return True

    def function_writes(self, tokens: list[str], index: int, end: int) -> bool:
        token = tokens[index]
        if token[:1] in ("'", "@", "?"):
            return False
        # Quoted, U& or schema-qualified, it calls the same function.
        name = upper(token[1:]) if token[:1] == '"' else token
        if name in self.writing_functions:
            return True
        if self.vendor != "postgresql":
            return False
        if name.startswith(WRITING_PREFIXES):
            return True
        if name.startswith(SQL_FROM_TEXT):
            return not self.block(
                f"{lower(name)}() runs SQL given as text, which cannot be shown "
                "to only read"
            )
        if name.startswith(OWN_SESSION):
            return not self.block(
                f"{lower(name)}() works over a session of its own, which is not "
                "read-only"
            )
        if name == "SET_CONFIG":
            # Only one plain literal name can be shown not to switch
            # read-only mode off.
            argument = tokens[index + 2] if index + 2 < end else ""
            return (
                not argument.startswith("'")
                or "\\" in argument
                or tokens[index + 3 : index + 4] != [","]
                or "READ_ONLY" in upper(argument)
            )
        return False

    # Cursors and prepared statements, per connection.

    def session_name(self, name: str) -> str:
        self.cacheable = False
        if name.startswith('"'):
            return name[1:]
        return upper(name) if self.vendor == "mysql" else lower(name)

    def remember(self, kind: str, name: str, known: bool) -> None:
        names = self.cursors if kind == "cursors" else self.prepared
        names = names | {name} if known else names - {name}
        if kind == "cursors":
            self.cursors = names
        else:
            self.prepared = names

    def forget_all(self, kind: str) -> None:
        self.cacheable = False
        if kind == "cursors":
            self.cursors = frozenset()
        else:
            self.prepared = frozenset()


def is_name(token: str) -> bool:
    return token[:1] == '"' or token[:1].isalpha() or token[:1] == "_"


def closing_parenthesis(tokens: list[str], opening: int, end: int) -> int:
    depth = 0
    for index in range(opening, end):
        token = tokens[index]
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
            if not depth:
                return index
    return -1


def top_level(tokens: list[str], start: int, end: int, wanted: str) -> int:
    """The index of the first ``wanted`` outside parentheses, or -1."""
    depth = 0
    for index in range(start, end):
        token = tokens[index]
        if token == wanted and not depth:
            return index
        depth += (token == "(") - (token == ")")
    return -1


def transaction_is_read(tokens: list[str], start: int, end: int) -> bool:
    """Transaction control reads, unless it switches to read-write."""
    for index in range(start, end):
        word = tokens[index]
        before = tokens[index - 1] if index > start else ""
        if before in SAVEPOINT_NAME_AFTER and word not in ("SAVEPOINT", "TO"):
            continue  # A savepoint's name.
        following = tokens[index + 1 : index + 2] if index + 1 < end else []
        if word == "NOT":
            if following != ["DEFERRABLE"]:
                return False
        elif word == "NO":
            if following not in (["CHAIN"], ["RELEASE"]):
                return False
        elif word not in TRANSACTION_WORDS:
            return False
    return True


def names_switch_read_only(tokens: list[str], start: int, end: int) -> bool:
    """
    Whether a setting assigned in ``tokens`` is a read-only mode
    (default_transaction_read_only, transaction_read_only, tx_read_only).
    Only names count: a value that merely contains the word is harmless.
    """
    depth = 0
    in_name = True
    for index in range(start, end):
        token = tokens[index]
        if token in ("(", ")"):
            depth += 1 if token == "(" else -1
        elif not depth and token == ",":
            in_name = True
        elif not depth and token in ("=", "TO"):
            in_name = False
        elif in_name and upper(token.lstrip("'\"")).endswith("READ_ONLY"):
            return True
    return False


# Statements by first word, per dialect.


def explain_postgresql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    """EXPLAIN only plans, unless ANALYZE makes it run the statement."""
    position = start + 1
    analyze = False
    if position < end and tokens[position] == "(":
        closing = closing_parenthesis(tokens, position, end)
        if closing == -1:
            return False
        analyze = options_analyze(tokens, position + 1, closing)
        position = closing + 1
    else:
        while position < end and tokens[position] in ("ANALYZE", "ANALYSE", "VERBOSE"):
            analyze = analyze or tokens[position] != "VERBOSE"
            position += 1
    if position >= end:
        return False
    return range(position, end) if analyze else True


def options_analyze(tokens: list[str], start: int, end: int) -> bool:
    """Whether an EXPLAIN option list may turn ANALYZE on, in any spelling."""
    option: list[str] = []
    analyze = False
    for index in range(start, end + 1):
        if index < end and tokens[index] != ",":
            option.append(tokens[index])
            continue
        if option and lower(option[0].lstrip('"')) in ("analyze", "analyse"):
            analyze = analyze or not (len(option) == 2 and is_false(option[1]))
        option = []
    return analyze


def is_false(token: str) -> bool:
    if token[:1] in ("'", '"'):
        return lower(token[1:]) in FALSE_STRINGS
    return lower(token) in FALSE_WORDS


def explain_mysql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    """
    MariaDB refuses to explain a write in read-only mode, so the explained
    statement decides; ``EXPLAIN table`` describes it.
    """
    position = mysql_format(tokens, start + 1, end)
    while position < end and tokens[position] in ("EXTENDED", "PARTITIONS"):
        position = mysql_format(tokens, position + 1, end)
    if position >= end:
        return False
    if tokens[position] in MYSQL_EXPLAINABLE:
        return range(position, end)
    return True


def mysql_format(tokens: list[str], position: int, end: int) -> int:
    """Skip ``FORMAT = name``."""
    if tokens[position : position + 2] == ["FORMAT", "="] and position + 2 < end:
        return position + 3
    return position


def analyze_mysql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    # ANALYZE <statement> runs it; ANALYZE TABLE writes statistics.
    position = mysql_format(tokens, start + 1, end)
    if position >= end or tokens[position] not in MYSQL_EXPLAINABLE:
        return False
    return range(position, end)


def explain_sqlite(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    """EXPLAIN only shows the program, but a PRAGMA acts while compiled."""
    position = start + 1
    if tokens[position : position + 2] == ["QUERY", "PLAN"]:
        position += 2
    if position >= end:
        return False
    return range(position, end) if tokens[position] == "PRAGMA" else True


def show_postgresql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    return True


def show_mysql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    # SHOW ... WHERE <expression> runs its functions and subqueries.
    return judge.query_is_read(tokens, start + 1, end)


def set_postgresql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    position = start + 1
    words = tokens[position : position + 2]
    if words[:1] == ["CONSTRAINTS"]:
        return True
    if words == ["SESSION", "CHARACTERISTICS"]:
        return False
    if words[:1] in (["SESSION"], ["LOCAL"]):
        position += 1
    if tokens[position : position + 1] == ["TRANSACTION"]:
        return "WRITE" not in tokens[position:end]
    # Other session settings (search_path, TIME ZONE, ROLE) change no data.
    return not names_switch_read_only(tokens, position, end)


def set_mysql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    position = start + 1
    statement = tokens[position : position + 1] == ["STATEMENT"]
    settings_end = end
    if statement:
        # MariaDB's SET STATEMENT var = value [, ...] FOR <statement>.
        position += 1
        settings_end = top_level(tokens, position, end, "FOR")
        if settings_end == -1:
            return False
    words = tokens[position:settings_end]
    if words[:1] == ["PASSWORD"] or words[:2] == ["DEFAULT", "ROLE"]:
        return False
    if any(word.startswith(MYSQL_SERVER_SCOPES) for word in words if word[:1] != "'"):
        return False
    if "WRITE" in words or names_switch_read_only(tokens, position, settings_end):
        return False
    # Values may hold subqueries and function calls.
    if not judge.query_is_read(tokens, position, settings_end):
        return False
    return range(settings_end + 1, end) if statement else True


def reset_postgresql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    return tokens[start + 1 : start + 2] != ["ALL"] and not names_switch_read_only(
        tokens, start + 1, end
    )


def copy_postgresql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    """COPY ... TO STDOUT reads; to a file or program, or FROM, it writes."""
    position = start + 1
    inner = None
    if tokens[position : position + 1] == ["("]:
        closing = closing_parenthesis(tokens, position, end)
        if closing == -1:
            return False
        inner = range(position + 1, closing)
        position = closing + 1
    rest = tokens[position:end]
    if "TO" not in rest:
        return False
    to = rest.index("TO")
    if "FROM" in rest[:to] or rest[to + 1 : to + 2] != ["STDOUT"]:
        return False
    return inner or True


def declare_postgresql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    """DECLARE name ... CURSOR ... FOR <read>: remembered for FETCH and MOVE."""
    if start + 1 >= end or not is_name(tokens[start + 1]):
        return False
    name = judge.session_name(tokens[start + 1])
    position = start + 2
    while position < end and tokens[position] in CURSOR_OPTIONS:
        position += 1
    if tokens[position : position + 1] != ["CURSOR"]:
        return False
    position += 1
    if tokens[position : position + 2] in (["WITH", "HOLD"], ["WITHOUT", "HOLD"]):
        position += 2
    if tokens[position : position + 1] != ["FOR"] or position + 1 >= end:
        return False
    judge.remember("cursors", name, True)
    return range(position + 1, end)


def fetch_postgresql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    """FETCH and MOVE read only from a cursor seen declared over a read."""
    name = tokens[end - 1]
    if end - start < 2 or not is_name(name) or name in FETCH_WORDS:
        return False
    for word in tokens[start + 1 : end - 1]:
        if word not in FETCH_WORDS and not word.isdigit():
            return False
    if judge.session_name(name) in judge.cursors:
        return True
    return judge.block(
        f"{tokens[start]} reads cursor {name.lstrip(chr(34))}, which was not seen "
        "declared over a read on this connection; declare it inside the "
        "read-only block, or fetch from it where writes are allowed"
    )


def close_postgresql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    if end - start != 2:
        return False
    if tokens[start + 1] == "ALL":
        judge.forget_all("cursors")
        return True
    if not is_name(tokens[start + 1]):
        return False
    judge.remember("cursors", judge.session_name(tokens[start + 1]), False)
    return True


def prepare_postgresql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    """
    PREPARE name [(types)] AS <statement> runs nothing, so it reads; the name
    is remembered for EXECUTE only when the statement is a read.
    """
    if start + 1 >= end or not is_name(tokens[start + 1]):
        return False
    if tokens[start + 1] == "TRANSACTION":
        return False  # PREPARE TRANSACTION: two-phase commit.
    name = judge.session_name(tokens[start + 1])
    position = start + 2
    if tokens[position : position + 1] == ["("]:
        position = closing_parenthesis(tokens, position, end) + 1
        if not position:
            return False
    if tokens[position : position + 1] != ["AS"] or position + 1 >= end:
        return False
    judge.remember(
        "prepared", name, plain_query_is_read(judge, tokens, position + 1, end)
    )
    return True


def plain_query_is_read(judge: Judge, tokens: list[str], start: int, end: int) -> bool:
    """A query that wraps nothing: what a prepared statement may be."""
    while start < end and tokens[start] == "(":
        start += 1
    return (
        start < end
        and tokens[start] in QUERY_STARTS
        and judge.query_is_read(tokens, start, end)
    )


def execute(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    """EXECUTE reads only a statement seen prepared over a read."""
    if start + 1 >= end or not is_name(tokens[start + 1]):
        return False
    name = tokens[start + 1]
    if judge.session_name(name) not in judge.prepared:
        return judge.block(
            f"EXECUTE runs prepared statement {name.lstrip(chr(34))}, which was not "
            "seen prepared over a read on this connection; prepare it inside the "
            "read-only block, or execute it where writes are allowed"
        )
    # Its arguments are expressions.
    return judge.query_is_read(tokens, start + 2, end)


def deallocate(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    """DEALLOCATE [PREPARE] name | ALL, and MySQL's DROP PREPARE name."""
    position = start + 1
    if tokens[position : position + 1] == ["PREPARE"]:
        position += 1
    if end - position != 1:
        return False
    if tokens[position] == "ALL" and judge.vendor == "postgresql":
        judge.forget_all("prepared")
        return True
    if not is_name(tokens[position]):
        return False
    judge.remember("prepared", judge.session_name(tokens[position]), False)
    return True


def discard_postgresql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    # DISCARD ALL and TEMP reset the session or drop tables.
    return end - start == 2 and tokens[start + 1] in ("PLANS", "SEQUENCES")


def prepare_mysql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    """PREPARE name FROM 'text': remembered when the text is one plain read."""
    if (
        end - start != 4
        or tokens[start + 2] != "FROM"
        or not is_name(tokens[start + 1])
    ):
        return False
    name = judge.session_name(tokens[start + 1])
    source = tokens[start + 3]
    judge.remember("prepared", name, mysql_text_is_read(judge, source))
    return True


def mysql_text_is_read(judge: Judge, source: str) -> bool:
    # Only a literal that reads the same under every sql_mode.
    if not source.startswith("'") or any(char in source[1:] for char in "\\'\""):
        return False
    try:
        statements = split_statements(source[1:], "mysql", Reading(True, True))
    except Unreadable:
        return False
    return len(statements) == 1 and plain_query_is_read(
        judge, statements[0], 0, len(statements[0])
    )


def execute_mysql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    if tokens[start + 1 : start + 2] == ["IMMEDIATE"]:
        return judge.block(
            "EXECUTE IMMEDIATE runs SQL given as text, which cannot be shown to "
            "only read"
        )
    # EXECUTE name USING @a, ...: the variables are expressions too.
    return execute(judge, tokens, start, end)


def drop_mysql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    return tokens[start + 1 : start + 2] == ["PREPARE"] and deallocate(
        judge, tokens, start, end
    )


def do_mysql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    # DO <expression>: a read when the expression is.
    return start + 1 < end and judge.query_is_read(tokens, start + 1, end)


def table_check_mysql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    # CHECK TABLE and CHECKSUM TABLE only read (FOR UPGRADE may repair).
    return (
        tokens[start + 1 : start + 2] == ["TABLE"]
        and "UPGRADE" not in tokens[start:end]
    )


def describe_mysql(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    return explain_mysql(judge, tokens, start, end)


def pragma_sqlite(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    position = start + 1
    if tokens[position + 1 : position + 2] == ["."]:
        position += 2  # PRAGMA schema.name
    if position >= end:
        return False
    name = upper(tokens[position].lstrip("'\""))
    value = [
        upper(token.lstrip("'\""))
        for token in tokens[position + 1 : end]
        if token not in ("=", "(", ")")
    ]
    if not value:
        return name in REPORTING_PRAGMAS
    if name in TABLE_PRAGMAS or name in SESSION_PRAGMAS:
        return True
    # Turning query_only on is fine; turning it off is a policy write.
    return name == "QUERY_ONLY" and value == [value[0]] and value[0] in TRUE_VALUES


def only_reads(judge: Judge, tokens: list[str], start: int, end: int) -> Step:
    return True


Handler = Callable[[Judge, list[str], int, int], Step]
DIALECT_STATEMENTS: dict[str, dict[str, Handler]] = {
    "postgresql": {
        "EXPLAIN": explain_postgresql,
        "SHOW": show_postgresql,
        "SET": set_postgresql,
        "RESET": reset_postgresql,
        "COPY": copy_postgresql,
        "DECLARE": declare_postgresql,
        "FETCH": fetch_postgresql,
        "MOVE": fetch_postgresql,
        "CLOSE": close_postgresql,
        "PREPARE": prepare_postgresql,
        "EXECUTE": execute,
        "DEALLOCATE": deallocate,
        "DISCARD": discard_postgresql,
    },
    "mysql": {
        "EXPLAIN": explain_mysql,
        "DESCRIBE": describe_mysql,
        "DESC": describe_mysql,
        "ANALYZE": analyze_mysql,
        "SHOW": show_mysql,
        "SET": set_mysql,
        "PREPARE": prepare_mysql,
        "EXECUTE": execute_mysql,
        "DEALLOCATE": deallocate,
        "DROP": drop_mysql,
        "DO": do_mysql,
        "HELP": only_reads,
        "CHECK": table_check_mysql,
        "CHECKSUM": table_check_mysql,
    },
    "sqlite": {
        "EXPLAIN": explain_sqlite,
        "PRAGMA": pragma_sqlite,
        "DETACH": only_reads,
    },
}
