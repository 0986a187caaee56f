"""
The package's log: every line readonly_scopes writes, on the
``readonly_scopes`` logger.

* ERROR for each setting with an invalid value, when it is read;
* WARNING for each statement blocked (or, in warn-only mode, that would have
  been), with the SQL, the alias and the first frame in project code;
* WARNING for each write a GET, HEAD, OPTIONS or TRACE request tried on a
  writable site, in safe-method mode: the request, its view and URL name;
* INFO for each write that ran while the configured state was read-only
  (``DJANGO_READ_ONLY``, or the site switch) because a scope or
  ``enable_writes()`` allowed it;
* INFO each time the process flag changes, and each time writes are enabled
  otherwise: where, and by which OS user, or for which request.
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
import sysconfig
from pathlib import Path
from types import FrameType

import asgiref
import django

from readonly_scopes.sql.text import shorten

logger = logging.getLogger("readonly_scopes")
# Silent until the project configures logging: not printed to stderr by
# Python's last-resort handler, next to the error the shell already shows.
logger.addHandler(logging.NullHandler())

# Code in these directories is never the project's own.
NOT_PROJECT = tuple(
    str(Path(path).resolve()) + os.sep
    for path in {
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"],
        os.path.dirname(django.__file__),
        os.path.dirname(asgiref.__file__),
        os.path.dirname(__file__),
    }
)


def project_frame() -> str:
    """The innermost caller outside Django, asgiref, this package and libraries."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith("<") and not os.path.realpath(filename).startswith(
            NOT_PROJECT
        ):
            return f"{filename}:{frame.f_lineno} in {frame.f_code.co_name}()"
        frame = frame.f_back
    return "no project code on the stack"


def blocked(text: str | None, alias: str, warn_only: bool) -> None:
    logger.warning(
        "%s on database %r: %s (from %s)",
        "Write let through in warn-only mode" if warn_only else "Write blocked",
        alias,
        shorten(text) if text is not None else "<statement that is not text>",
        project_frame(),
    )


def allowed_write(text: str, alias: str, allowed_by: str) -> None:
    logger.info(
        "Write ran while read-only mode is configured, allowed by %s, on database "
        "%r: %s (from %s)",
        allowed_by,
        alias,
        shorten(text),
        project_frame(),
    )


def safe_method_write(
    request: str, view: str, alias: str, statement: str, mode: str, blocked: bool
) -> None:
    # One line per write, naming the view, so that grepping the log for the
    # setting lists every view to fix.
    logger.warning(
        "Write %s during %s (DJANGO_READ_ONLY_SAFE_METHODS = %r): %s, on database "
        "%r: %s",
        "blocked" if blocked else "let through",
        request,
        mode,
        view,
        alias,
        statement,
    )


def invalid_setting(problem: str) -> None:
    logger.error("Invalid setting: %s", problem)


def flag_changed(read_only: bool, how: str) -> None:
    if read_only:
        logger.info("Writes disabled by %s, as OS user %s", how, os_user())
    else:
        writes_enabled(how)


def writes_enabled(how: str) -> None:
    logger.info("Writes enabled by %s, as OS user %s", how, os_user())


def request_exempt(method: str | None, path: str, reason: str) -> None:
    logger.info("Writes enabled for request %s %s (exempt: %s)", method, path, reason)


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # No name for this uid, as in some containers.
        return f"uid {os.getuid()}"
