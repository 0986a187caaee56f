"""A read-only mode for Django's database layer, per process and per context."""

from __future__ import annotations

from typing import Any

from readonly_scopes import ipython
from readonly_scopes.aliases import Using, named_aliases, using_text
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


def enable_writes(*, using: Using = None) -> None:
    """
    Allow writes for the whole process, except inside read_only() scopes: on
    every database, or on those ``using`` names (an alias or a tuple of them).
    """
    change_flag(False, "enable_writes", using)


def disable_writes(*, using: Using = None) -> None:
    """
    Block writes for the whole process, except inside temp_writes() scopes: on
    every database, or on those ``using`` names (an alias or a tuple of them).
    """
    change_flag(True, "disable_writes", using)


def change_flag(read_only: bool, name: str, using: Using) -> None:
    # Called by the two above: the caller's caller is where it was called.
    if using is None:
        set_flag(read_only, f"{name}() called at {caller_origin(2)}")
        return
    aliases = named_aliases(using, f"{name}()")
    set_flag(
        read_only,
        f"{name}({using_text(aliases)}) called at {caller_origin(2)}",
        using=aliases,
    )


def load_ipython_extension(shell: Any) -> None:
    ipython.load(shell)


def unload_ipython_extension(shell: Any) -> None:
    ipython.unload(shell)
