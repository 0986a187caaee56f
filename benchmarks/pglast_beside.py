"""
PostgreSQL's own parser (pglast, which wraps libpg_query) beside this
package's lexer, on the PostgreSQL statements of the labelled corpus and a
fuzz batch: how often each reads the text as the server does (the server
says whether it is a syntax error), and what each costs per new statement.

Not a dependency: install pglast in a virtual environment to run it, with
POSTGRES_HOST (and POSTGRES_USER, POSTGRES_DB) set.

    .venv/bin/python -m pip install pglast
    POSTGRES_HOST=127.0.0.1 .venv/bin/python benchmarks/pglast_beside.py
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from readonly_scopes.sql.classify import classify
from readonly_scopes.sql.dialects import readings, split_statements
from readonly_scopes.sql.lexing import Unreadable
from tests.fuzz import Generator
from tests.sql_corpus import CORPUS

SYNTAX_ERROR = "42601"


def server_syntax_error(connection: psycopg.Connection[Any], sql: str) -> bool:
    """Whether PostgreSQL refuses the text as a syntax error (nothing runs)."""
    with connection.cursor() as cursor:
        cursor.execute("BEGIN READ ONLY")
        try:
            cursor.execute(sql.encode())
        except psycopg.Error as error:
            return error.sqlstate == SYNTAX_ERROR
        finally:
            cursor.execute("ROLLBACK")
    return False


def lexer_readable(sql: str) -> bool:
    try:
        for reading in readings(sql, "postgresql", False):
            split_statements(sql, "postgresql", reading)
    except Unreadable:
        return False
    return True


def main() -> int:
    try:
        from pglast import parser  # type: ignore[import-not-found]
    except ImportError:
        sys.exit("pglast is not installed: python -m pip install pglast")
    connection = psycopg.connect(
        host=os.environ["POSTGRES_HOST"],
        user=os.environ.get("POSTGRES_USER", "postgres"),
        dbname=os.environ.get("POSTGRES_DB", "test"),
        autocommit=True,
    )
    texts = [e.sql for e in CORPUS if "postgresql" in e.vendors and e.params is None]
    generator = Generator("postgresql", 1)
    texts += [case.sql for case in (generator.case() for _ in range(3000))]
    # No placeholders, and no COPY, which the connection would have to serve.
    texts = [t for t in texts if "%" not in t and "COPY" not in t.upper()]
    pglast_agrees = lexer_agrees = 0
    for text in texts:
        refused = server_syntax_error(connection, text)
        try:
            parser.parse_sql(text)
            parsed = True
        except parser.ParseError:
            parsed = False
        pglast_agrees += parsed is not refused
        # The lexer only has to be sure where tokens end; a syntax error
        # it reads is still harmless, so count only what it could not read
        # although the server could.
        lexer_agrees += refused or lexer_readable(text)
    start = time.process_time()
    for text in texts:
        with suppress(parser.ParseError):
            parser.parse_sql(text)
    pglast_cost = (time.process_time() - start) / len(texts)
    start = time.process_time()
    for text in texts:
        classify(text, "postgresql")
    lexer_cost = (time.process_time() - start) / len(texts)
    print(f"{len(texts)} PostgreSQL statements (corpus and fuzz), server 15")
    print(
        f"pglast {parser.get_postgresql_version()}: agrees with the server on what "
        f"is a syntax error for {pglast_agrees / len(texts):.1%}; "
        f"{pglast_cost * 1e6:.1f} µs per statement to parse (no verdict yet)"
    )
    print(
        f"this lexer: reads what the server reads for {lexer_agrees / len(texts):.1%}; "
        f"{lexer_cost * 1e6:.1f} µs per statement for the whole verdict"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
