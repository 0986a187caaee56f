"""A read-only mode for Django's database layer, per process and per context."""

from __future__ import annotations

from typing import Any

from readonly_scopes import ipython
from readonly_scopes.errors import DjangoReadOnlyError, ReadOnlyError
from readonly_scopes.flag import set_flag
from readonly_scopes.scopes import read_only, temp_writes
from readonly_scopes.state import caller_origin, writes_allowed

__version__ = "1.1.0"

__all__ = [
    "DjangoReadOnlyError",
    "ReadOnlyError",
    "disable_writes",
    "enable_writes",
    "load_ipython_extension",
    "read_only",
    "temp_writes",
    "unload_ipython_extension",
    "writes_allowed",
]


def enable_writes() -> None:
    """Allow writes for the whole process, except inside read_only() scopes."""
    set_flag(False, f"enable_writes() called at {caller_origin(1)}")


def disable_writes() -> None:
    """Block writes for the whole process, except inside temp_writes() scopes."""
    set_flag(True, f"disable_writes() called at {caller_origin(1)}")


def load_ipython_extension(shell: Any) -> None:
    ipython.load(shell)


def unload_ipython_extension(shell: Any) -> None:
    ipython.unload(shell)
