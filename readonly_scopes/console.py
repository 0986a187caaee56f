"""What interactive shells show: the mode in the prompt and one status line."""

from __future__ import annotations

from django.conf import settings

from readonly_scopes.aliases import shown
from readonly_scopes.backstop.coverage import COVERAGE
from readonly_scopes.state import writes_allowed


class Magic:
    """Whether the IPython magic is loaded, so that messages may suggest it."""

    __slots__ = ("loaded",)

    def __init__(self) -> None:
        self.loaded = False


MAGIC = Magic()


def mode_tag() -> str:
    return "[writes] " if writes_allowed() else "[read-only] "


def status_line(ipython: bool) -> str:
    return mode_line(ipython) + backstop_line()


def backstop_line() -> str:
    if COVERAGE.on:
        return (
            " The databases refuse writes too, in their own read-only mode "
            f"(backstop on: {', '.join(sorted(COVERAGE.aliases))})."
        )
    if writes_allowed():
        return ""
    return (
        " The databases themselves do not refuse writes (backstop off, "
        "DJANGO_READ_ONLY_ENFORCE), so the raw driver connection can write."
    )


def mode_line(ipython: bool) -> str:
    if writes_allowed():
        how = "readonly_scopes.disable_writes()"
        if ipython:
            how += " or %read_only on"
        return f"readonly_scopes: database writes are ALLOWED. Block them with {how}."
    blocked = [alias for alias in settings.DATABASES if not writes_allowed(alias)]
    if len(blocked) < len(settings.DATABASES):
        using = f"using={blocked[0]!r}" if len(blocked) == 1 else "using=..."
        return (
            f"readonly_scopes: database writes are BLOCKED on {shown(blocked)} "
            "(read-only), and allowed on the other databases. Allow them with "
            f"readonly_scopes.enable_writes({using}), or for one block with "
            f"`with readonly_scopes.temp_writes({using}):`."
        )
    how = "readonly_scopes.enable_writes()"
    if ipython:
        how += " or %read_only off"
    return (
        "readonly_scopes: database writes are BLOCKED (read-only). Allow them with "
        f"{how}, or for one block with `with readonly_scopes.temp_writes():`."
    )


class ModePrompt:
    """A ``sys.ps1`` that shows the mode as it is when each prompt is printed."""

    def __init__(self, prompt: object) -> None:
        self.prompt = prompt

    def __str__(self) -> str:
        return mode_tag() + str(self.prompt)
