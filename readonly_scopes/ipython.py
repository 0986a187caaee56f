"""
The IPython extension: ``%read_only on|off`` and the mode in the prompt.

The magic changes the process flag, never a scope: IPython runs cells that
use top-level ``await`` in a copied context, so a scope entered by a magic
would vanish at the next cell.
"""

from __future__ import annotations

from typing import Any

from readonly_scopes.console import mode_tag, status_line
from readonly_scopes.flag import set_flag

extension_loaded = False


def load(shell: Any) -> None:
    global extension_loaded
    shell.register_magic_function(
        read_only_magic, magic_kind="line", magic_name="read_only"
    )
    show_mode_in_prompt(shell)
    extension_loaded = True


def read_only_magic(line: str) -> None:
    """%read_only on|off: block or allow database writes for the whole process."""
    argument = line.strip().lower()
    if argument == "on":
        set_flag(True, "%read_only on")
    elif argument == "off":
        set_flag(False, "%read_only off")
    elif argument:
        from IPython.core.error import UsageError

        raise UsageError(
            f"%read_only takes 'on' or 'off', not {line.strip()!r}. "
            "Without an argument it shows the current mode."
        )
    print(status_line(ipython=True))


def show_mode_in_prompt(shell: Any) -> None:
    # Only terminal shells have prompts; a kernel has none to change.
    prompts = getattr(shell, "prompts", None)
    if prompts is None or getattr(prompts, "shows_write_mode", False):
        return
    from pygments.token import Token

    plain_tokens = prompts.in_prompt_tokens

    def in_prompt_tokens() -> list[tuple[Any, str]]:
        return [(Token.Prompt, mode_tag()), *plain_tokens()]

    prompts.in_prompt_tokens = in_prompt_tokens
    prompts.shows_write_mode = True
