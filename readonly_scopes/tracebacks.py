"""
Blocked writes in interactive shells, reported in a few lines: the line of the
user's own code that ran the statement, and the error's message, rather than a
traceback through Django's database layer. The full one stays a command away.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from readonly_scopes.audit import NOT_PROJECT
from readonly_scopes.errors import ReadOnlyError

CONSOLE_FULL_TRACEBACK = "import traceback; traceback.print_last()"
IPYTHON_FULL_TRACEBACK = "%tb"


def short_report(error: BaseException, tb: TracebackType | None, full: str) -> str:
    frames = [entry for entry in traceback.extract_tb(tb) if written_by_user(entry)]
    where = traceback.format_list(frames[-1:])
    return (
        "".join(where)
        + f"{type(error).__name__}: {error}\n"
        + f"(Django's part of the traceback is hidden; see it all with `{full}`.)\n"
    )


def written_by_user(entry: traceback.FrameSummary) -> bool:
    # Console input (<console>, <stdin>, <string>) and IPython cells
    # (<ipython-input-...> or a file in a temporary directory) are the user's;
    # frozen modules are Python's own.
    if entry.filename.startswith("<"):
        return not entry.filename.startswith("<frozen")
    return not os.path.realpath(entry.filename).startswith(NOT_PROJECT)


@contextmanager
def short_errors_in_console() -> Iterator[None]:
    """Report blocked writes briefly in ``code.interact()``, while it runs."""
    previous = sys.excepthook

    def excepthook(
        kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        if isinstance(error, ReadOnlyError):
            # The console has stored the error for traceback.print_last().
            sys.stderr.write(short_report(error, tb, CONSOLE_FULL_TRACEBACK))
        else:
            previous(kind, error, tb)

    sys.excepthook = excepthook
    try:
        yield
    finally:
        sys.excepthook = previous
