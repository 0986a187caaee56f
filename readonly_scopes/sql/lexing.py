"""
What the three dialects' lexers share: the token format, the splitting into
statements, and how placeholders are read.

Tokens are plain strings, so that the rules in ``classify`` compare them
cheaply:

* keywords and unquoted names: upper-cased in ASCII only, as the servers fold
  only ASCII letters (``SELECT``, ``NEXTVAL``; ``nèxtval`` stays as it is);
* quoted names: ``"`` and their exact contents (``"Name``);
* string literals: ``'`` and their contents, backslashes left as written;
* MySQL variables: ``@NAME``, ``@@NAME``;
* parameters and placeholders: ``?``;
* numbers as written; anything else one character at a time.

Comments disappear, except MySQL's executable ones, whose contents are code.
Text that cannot be read with confidence raises ``Unreadable``.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

# The name characters all three servers share: ASCII letters, "_" and any
# character from U+0080 on (any byte >= 0x80 of UTF-8), then digits and "$".
# Written as what they exclude: a class spanning all of Unicode compiles
# slowly.
NAME_START = r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f]"
NAME_CHAR = r"[^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"

ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# psycopg's and mysqlclient's placeholders and their escaped percent sign.
PYFORMAT = re.compile(r"%(?:\([^)]*\))?[sbt]|%%")

Statements = list[list[str]]


class Unreadable(Exception):
    """The text cannot be read with confidence, so it is not shown to read."""


class RefusedWhole(Unreadable):
    """
    In this reading the server's lexer refuses the text, and PostgreSQL lexes
    all of it before running any: nothing runs.
    """


@dataclass(frozen=True)
class Reading:
    """
    One way the server may read the text, where its settings decide.

    ``backslash_escapes``: backslashes escape quotes in plain string literals
    (MySQL without ``NO_BACKSLASH_ESCAPES``, PostgreSQL with
    ``standard_conforming_strings`` off). ``with_params``: the driver got
    parameters, so ``%s`` is a placeholder and ``%%`` a percent sign; without
    them the text reaches the server unchanged. ``double_quote_escapes``:
    MySQL reads ``"..."`` as a string with backslash escapes (not under
    ``ANSI_QUOTES``). ``server_version``: MySQL runs ``/*!NNNNN ... */`` as
    code only from that version on; ``mariadb``: only MariaDB runs
    ``/*M! ... */``.
    """

    backslash_escapes: bool = False
    double_quote_escapes: bool = False
    with_params: bool = False
    server_version: int = 999999
    mariadb: bool = True


def body(pattern: str) -> re.Pattern[str]:
    """
    A quoted token's body: runs of plain characters between escapes, at most
    a few thousand escapes per match, so that the regular expression engine
    never keeps a long backtracking stack.
    """
    return re.compile(pattern + "{0,4096}", re.DOTALL)


def end_of_body(pattern: re.Pattern[str], sql: str, position: int) -> int:
    """Where a body made with ``body()`` ends, matched a chunk at a time."""
    while True:
        match = pattern.match(sql, position)
        assert match is not None  # Bodies match the empty string.
        if match.end() == position:
            return position
        position = match.end()


def upper(word: str) -> str:
    return word.upper() if word.isascii() else word.translate(ASCII_UPPER)


def lower(word: str) -> str:
    return word.lower() if word.isascii() else word.translate(ASCII_LOWER)


class Tokens:
    """Tokens being collected, split into statements at top-level semicolons."""

    __slots__ = ("current", "statements")

    def __init__(self) -> None:
        self.statements: Statements = []
        self.current: list[str] = []

    def add(self, token: str) -> None:
        self.current.append(token)

    def end_statement(self) -> None:
        if self.current:
            self.statements.append(self.current)
            self.current = []

    def finish(self) -> Statements:
        self.end_statement()
        return self.statements


def placeholder_at(sql: str, position: int, inside_token: bool) -> int:
    """
    With parameters, the end of the placeholder or ``%%`` at ``position``.

    psycopg and mysqlclient substitute placeholders everywhere, inside quotes
    and comments too, with a quoted value that could end the token there, and
    refuse any other ``%``: both cases are unreadable.
    """
    match = PYFORMAT.match(sql, position)
    if match is None:
        raise Unreadable("with parameters, the driver refuses a lone %")
    if inside_token and match.group() != "%%":
        raise Unreadable(
            "with parameters, a placeholder inside quotes or a comment gets the "
            "driver's quoted value there, which could end them"
        )
    return match.end()


def check_percent_signs(body: str) -> None:
    """With parameters, a quoted token or comment may hold only ``%%``."""
    position = body.find("%")
    while position != -1:
        position = body.find("%", placeholder_at(body, position, inside_token=True))


def percent_sign(sql: str, position: int, with_params: bool) -> tuple[int, str]:
    """A ``%`` outside quoted tokens: a placeholder, ``%%``, or an operator."""
    if not with_params:
        return position + 1, "%"
    end = placeholder_at(sql, position, inside_token=False)
    return end, "%" if end == position + 2 and sql[position + 1] == "%" else "?"
