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

CONSOLE_FULL_TRACEBACK = (
    "import sys, traceback; traceback.print_exception(sys.last_value)"
)
IPYTHON_FULL_TRACEBACK = "%tb"


def short_report(error: BaseException, tb: TracebackType | None, full: str) -> str:
    frames = [entry for entry in traceback.extract_tb(tb) if written_by_user(entry)]
    return (
        "".join(map(frame_lines, frames[-1:]))
        + f"{type(error).__name__}: {error}\n"
        + f"(Django's part of the traceback is hidden; see it all with `{full}`.)\n"
    )


def frame_lines(entry: traceback.FrameSummary) -> str:
    # As a traceback shows a frame, without the position markers that
    # Python 3.11+ adds under part of the line.
    where = f'  File "{entry.filename}", line {entry.lineno}, in {entry.name}\n'
    return where + (f"    {entry.line}\n" if entry.line else "")


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
            # The console has stored the error in sys.last_value for the hint.
            sys.stderr.write(short_report(error, tb, CONSOLE_FULL_TRACEBACK))
        else:
            previous(kind, error, tb)

    sys.excepthook = excepthook
    try:
        yield
    finally:
        sys.excepthook = previous
