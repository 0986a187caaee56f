"""
The IPython extension: ``%read_only on|off``, the mode in the prompt, and
blocked writes reported in a few lines (``%tb`` shows the full traceback).
``%unload_ext readonly_scopes`` takes all three away again.

The magic changes the process flag, never a scope: IPython runs cells that
use top-level ``await`` in a copied context, so a scope entered by a magic
would vanish at the next cell.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from readonly_scopes.console import MAGIC, mode_tag, status_line
from readonly_scopes.errors import ReadOnlyError
from readonly_scopes.flag import set_flag
from readonly_scopes.tracebacks import IPYTHON_FULL_TRACEBACK, short_report

MAGIC_NAME = "read_only"


def load(shell: Any) -> None:
    shell.register_magic_function(
        read_only_magic, magic_kind="line", magic_name=MAGIC_NAME
    )
    show_mode_in_prompt(shell)
    # A handler the user set for their own exceptions stays theirs.
    if not shell.custom_exceptions:
        shell.set_custom_exc((ReadOnlyError,), show_short_error)
    MAGIC.loaded = True


def unload(shell: Any) -> None:
    shell.magics_manager.magics["line"].pop(MAGIC_NAME, None)
    prompts: Any = getattr(shell, "prompts", None)
    if hasattr(prompts, "plain_in_prompt_tokens"):
        prompts.in_prompt_tokens = prompts.plain_in_prompt_tokens
        del prompts.plain_in_prompt_tokens
    if shell.custom_exceptions == (ReadOnlyError,):
        shell.set_custom_exc((), None)
    MAGIC.loaded = False


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
    if prompts is None or hasattr(prompts, "plain_in_prompt_tokens"):
        return
    from pygments.token import Token

    plain_tokens = prompts.in_prompt_tokens

    def in_prompt_tokens() -> list[tuple[Any, str]]:
        return [(Token.Prompt, mode_tag()), *plain_tokens()]

    prompts.in_prompt_tokens = in_prompt_tokens
    prompts.plain_in_prompt_tokens = plain_tokens


def show_short_error(
    shell: Any,
    kind: type[BaseException],
    error: BaseException,
    tb: TracebackType | None,
    tb_offset: int | None = None,
) -> None:
    # Kept in sys.last_* for %tb, as IPython keeps any error. Should this
    # method go, IPython drops a failing handler and shows the full traceback.
    shell._get_exc_info((kind, error, tb))
    print(short_report(error, tb, IPYTHON_FULL_TRACEBACK), end="")
