"""
Changing the process flag: the one function every caller uses (the
configuration, ``enable_writes()``, ``disable_writes()``, the IPython magic,
``shell --read-only`` and ``--writes``), so that each change also brings the
backstop in step and is logged.
"""

from __future__ import annotations

from readonly_scopes import audit
from readonly_scopes.backstop import follow, reload_coverage
from readonly_scopes.conf import read_only_configuration
from readonly_scopes.state import FLAG


def set_flag(
    read_only: bool,
    source: str,
    *,
    configured: bool = False,
    using: frozenset[str] | None = None,
) -> None:
    """
    Block (``read_only``) or allow writes for the whole process, on every
    database or on those ``using`` names. ``source`` says who did, for
    messages and the log; ``configured`` marks the value the configuration
    asks for, which decides whether writes that run are logged.
    """
    before = FLAG.read_only, FLAG.unlike_the_rest()
    FLAG.set(read_only, source, configured=configured, using=using)
    follow()
    if (FLAG.read_only, FLAG.unlike_the_rest()) != before:
        if FLAG.per_alias:
            # Which databases the flag blocks now that it changed.
            source = f"{source}, which makes {FLAG.read_only_aliases()} read-only"
        audit.flag_changed(read_only, source)


def load_flag() -> None:
    """
    Set the flag from DJANGO_READ_ONLY: at start-up and when it changes. The
    backstop's default coverage follows what the configuration asks for.
    """
    read_only, using, source = read_only_configuration()
    set_flag(read_only, source, configured=True, using=using)
    reload_coverage()
