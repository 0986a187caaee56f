"""
What the guard saw on each database connection: the cursors declared and
the statements prepared over reads, so that ``FETCH`` and ``EXECUTE`` of
them can be shown to read.

A record belongs to the driver's connection, which is where the database
keeps cursors and prepared statements: a reconnect starts a fresh one, and
a pooled connection keeps its own.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary


class Session:
    """Cursor and prepared statement names, as the database compares them."""

    __slots__ = ("cursors", "prepared")

    def __init__(self) -> None:
        self.cursors: frozenset[str] = frozenset()
        self.prepared: frozenset[str] = frozenset()


SESSIONS: WeakKeyDictionary[Any, Session] = WeakKeyDictionary()


def session_for(connection: Any) -> Session:
    """The record of a Django connection's current driver connection."""
    raw = connection.connection
    try:
        session = SESSIONS.get(raw)
        if session is None:
            session = SESSIONS[raw] = Session()
    except TypeError:
        # A driver connection that cannot be weakly referenced: remember
        # nothing, so FETCH and EXECUTE stay blocked.
        return Session()
    return session
