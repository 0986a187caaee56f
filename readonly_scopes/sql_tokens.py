"""
Splitting SQL text into statements made of tokens, per dialect.

Tokens are plain strings: keywords and names upper-cased (``SELECT``), string
literals as ``'`` plus their raw contents, quoted identifiers as ``"`` plus
their upper-cased contents, MySQL variables as ``@NAME`` / ``@@NAME``,
placeholders as ``?``, anything else as itself, one character at a time.
Comments disappear, except MySQL's executable ones, whose contents are code.
Text that cannot be split with confidence raises ``Unreadable``.
"""

from __future__ import annotations

import re


class Unreadable(Exception):
    """The text cannot be split into tokens with confidence."""


# What all three servers take for white space; anything else is a token.
WHITESPACE = frozenset(" \t\n\r\f")
WORD_OR_NUMBER = re.compile(r"[^\W\d][\w$]*|\.?\d[\w.]*")
DOLLAR_QUOTE = re.compile(r"\$(?:[^\W\d]\w*)?\$")
PYFORMAT_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?s")
MYSQL_VARIABLE_NAME = re.compile(r"[\w$.]*")
MYSQL_VERSION = re.compile(r"\d*")


def split_statements(
    sql: str, vendor: str, backslash_escapes: bool | None = None
) -> list[list[str]]:
    """
    Split ``sql`` at top-level semicolons into lists of tokens.

    ``backslash_escapes`` says whether backslashes escape quotes in plain
    string literals; by default they do on MySQL and not elsewhere, as the
    servers do unless configured otherwise.
    """
    mysql = vendor == "mysql"
    postgresql = vendor == "postgresql"
    sqlite = vendor == "sqlite"
    plain_escapes = mysql if backslash_escapes is None else backslash_escapes
    statements: list[list[str]] = []
    tokens: list[str] = []
    open_executable_comments = 0
    position, length = 0, len(sql)
    word_end = -1
    while position < length:
        char = sql[position]
        if char in WHITESPACE:
            position += 1
        elif char == ";":
            if tokens:
                statements.append(tokens)
                tokens = []
            position += 1
        elif starts_line_comment(sql, position, mysql):
            end = sql.find("\n", position)
            position = length if end == -1 else end + 1
        elif mysql and sql.startswith(("/*!", "/*M!"), position):
            # MySQL and MariaDB run what is inside: read it as code.
            start = position + (3 if sql[position + 2] == "!" else 4)
            position = end_of(MYSQL_VERSION, sql, start)
            open_executable_comments += 1
        elif char == "/" and sql.startswith("/*", position):
            position = end_of_block_comment(sql, position, nested=postgresql)
        elif (
            char == "*" and open_executable_comments and sql.startswith("*/", position)
        ):
            open_executable_comments -= 1
            position += 2
        elif char == "'":
            escaped = postgresql and word_end == position and tokens[-1:] == ["E"]
            if escaped:
                tokens.pop()  # E'...': a string with backslash escapes.
            position, content = read_quoted(sql, position, plain_escapes or escaped)
            tokens.append("'" + content)
        elif char == '"' and mysql:
            # A string, or an identifier under ANSI_QUOTES: no keyword either way.
            position, content = read_quoted(sql, position, plain_escapes)
            tokens.append("'" + content)
        elif (
            char == '"' or (char == "`" and not postgresql) or (char == "[" and sqlite)
        ):
            position, content = read_quoted(sql, position, False)
            tokens.append('"' + content.upper())
        elif postgresql and (dollar_quote := DOLLAR_QUOTE.match(sql, position)):
            tag = dollar_quote.group()
            end = sql.find(tag, dollar_quote.end())
            if end == -1:
                raise Unreadable
            tokens.append("'" + sql[dollar_quote.end() : end])
            position = end + len(tag)
        elif placeholder := PYFORMAT_PLACEHOLDER.match(sql, position):
            tokens.append("?")
            position = placeholder.end()
        elif char == "@" and mysql:
            position, token = read_variable(sql, position)
            tokens.append(token)
        elif word := WORD_OR_NUMBER.match(sql, position):
            tokens.append(word.group().upper())
            position = word_end = word.end()
        else:
            tokens.append(char)
            position += 1
    if open_executable_comments:
        raise Unreadable
    if tokens:
        statements.append(tokens)
    return statements


def end_of(pattern: re.Pattern[str], sql: str, position: int) -> int:
    """The end of ``pattern``, which matches the empty string, at ``position``."""
    match = pattern.match(sql, position)
    return position if match is None else match.end()


def starts_line_comment(sql: str, position: int, mysql: bool) -> bool:
    if mysql and sql[position] == "#":
        return True
    if not sql.startswith("--", position):
        return False
    # MySQL needs a space or control character after "--": there "1--1" is
    # arithmetic, and reading it as a comment would hide the rest of the line.
    following = sql[position + 2 : position + 3]
    return not mysql or following <= " "


def end_of_block_comment(sql: str, position: int, nested: bool) -> int:
    depth, index = 1, position + 2
    while depth:
        closing = sql.find("*/", index)
        if closing == -1:
            raise Unreadable
        opening = sql.find("/*", index, closing) if nested else -1
        if opening == -1:
            depth -= 1
            index = closing + 2
        else:
            depth += 1
            index = opening + 2
    return index


def read_quoted(sql: str, position: int, backslash_escapes: bool) -> tuple[int, str]:
    """Return the position after the quoted run at ``position``, and its contents."""
    quote = "]" if sql[position] == "[" else sql[position]
    start = index = position + 1
    while index < len(sql):
        char = sql[index]
        if backslash_escapes and char == "\\":
            index += 2
        elif char != quote:
            index += 1
        elif quote != "]" and sql.startswith(quote * 2, index):
            index += 2
        else:
            return index + 1, sql[start:index]
    raise Unreadable


def read_variable(sql: str, position: int) -> tuple[int, str]:
    """Read a MySQL ``@variable`` or ``@@system_variable``."""
    at_signs = "@@" if sql.startswith("@@", position) else "@"
    position += len(at_signs)
    if sql[position : position + 1] in ("'", '"', "`"):
        position, content = read_quoted(sql, position, sql[position] != "`")
        return position, at_signs + content.upper()
    end = end_of(MYSQL_VARIABLE_NAME, sql, position)
    return end, at_signs + sql[position:end].upper()
