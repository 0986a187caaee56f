"""Turning what drivers accept into SQL text, and text into short messages."""

from __future__ import annotations

from typing import Any

# Statements are shown flattened and cut to this length in messages.
LONGEST_STATEMENT_SHOWN = 200


def statement_text(sql: Any, connection: Any) -> str | None:
    """
    Return the SQL text of a statement for a Django connection, or None when
    it cannot be read.
    """
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
