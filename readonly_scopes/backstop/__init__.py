"""
The backstop: on the databases it covers, each connection's own read-only
mode follows the effective state, so the database refuses writes the guard
cannot see (functions and procedures that write, ``callproc()``, the raw
driver connection, ``executescript()``, ``copy()``).

* ``coverage``: which aliases are covered (``DJANGO_READ_ONLY_ENFORCE``);
* ``modes``: each database's read-only mode on one connection;
* ``registry``: this thread's covered connections, and when they switch.
"""

from __future__ import annotations

from readonly_scopes.backstop.registry import (
    bring_in_step,
    connect_in_mode,
    follow,
    follow_exit,
    follow_new_connection,
    follow_open_connections,
    mode_of,
    reload_coverage,
)

__all__ = [
    "bring_in_step",
    "connect_in_mode",
    "follow",
    "follow_exit",
    "follow_new_connection",
    "follow_open_connections",
    "mode_of",
    "reload_coverage",
]
