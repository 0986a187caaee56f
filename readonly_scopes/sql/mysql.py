"""
MySQL's and MariaDB's lexer, after MariaDB 10.11's ``sql/sql_lex.cc``
(``Lex_input_stream::lex_one_token``). Each rule names the lexer state it
mirrors.
"""

from __future__ import annotations

import re

from readonly_scopes.sql.lexing import (
    NAME_CHAR,
    Reading,
    Statements,
    Tokens,
    Unreadable,
    body,
    check_percent_signs,
    end_of_body,
    percent_sign,
    upper,
)

# ident_map: letters, digits, "_", "$" and every byte of a multi-byte
# character. A name may start with digits (MY_LEX_NUMBER_IDENT).
IDENT = NAME_CHAR
NOT_DIGIT = r"[^\x00-\x23\x25-\x40\x5b-\x5e\x60\x7b-\x7f]"  # IDENT but 0-9
TOKEN = re.compile(
    rf"""
    (?P<space>[ \t\n\v\f\r]+)                       # my_isspace(): \v too
    |(?P<comment>(?:\#|--(?=[\x00-\x20\x7f]|\Z))[^\n]*)
                      # MY_LEX_COMMENT: "--" needs a space or control character
    |(?P<executable>/\*M?!)                         # MY_LEX_LONG_COMMENT, "/*!"
    |(?P<xc>/\*)                                    # MY_LEX_LONG_COMMENT
    |(?P<close>\*/)                                 # MY_LEX_END_LONG_COMMENT
    |(?P<hex>[xX]')                                 # MY_LEX_IDENT_OR_HEX
    |(?P<bin>[bB]')                                 # MY_LEX_IDENT_OR_BIN
    |(?P<string>[nN]?')                 # MY_LEX_STRING, MY_LEX_IDENT_OR_NCHAR
    |(?P<dstring>")                                 # MY_LEX_STRING or ANSI_QUOTES name
    |(?P<backtick>`)                                # MY_LEX_USER_VARIABLE_DELIMITER
    |(?P<variable>@@?)                              # MY_LEX_USER_END, MY_LEX_SYSTEM_VAR
    |(?P<number>0x[0-9a-fA-F]+(?!{IDENT})|0b[01]+(?!{IDENT})|[0-9]+[eE][-+]?[0-9]+)
                                                    # MY_LEX_NUMBER_IDENT: hex, bin, 1e5
    |(?P<identifier>[0-9]*{NOT_DIGIT}{IDENT}*)
                                                    # MY_LEX_IDENT_START
    |(?P<real>(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)
                                                    # MY_LEX_INT_OR_REAL, MY_LEX_REAL
    |(?P<integer>[0-9]+)
    |(?P<percent>%)
    |(?P<semicolon>;)
    |(?P<other>.)                                   # MY_LEX_CHAR and the rest
    """,
    re.VERBOSE | re.DOTALL,
)
HEX_BODY = re.compile(r"[0-9a-fA-F]*")
BIN_BODY = re.compile(r"[01]*")
# get_text(): a doubled quote is one quote; "\" escapes unless
# NO_BACKSLASH_ESCAPES.
BODIES = {
    ("'", False): body(r"[^']*(?:''[^']*)"),
    ("'", True): body(r"[^'\\]*(?:(?:''|\\.)[^'\\]*)"),
    ('"', False): body(r'[^"]*(?:""[^"]*)'),
    ('"', True): body(r'[^"\\]*(?:(?:""|\\.)[^"\\]*)'),
    ("`", False): body(r"[^`]*(?:``[^`]*)"),
}
VARIABLE_NAME = re.compile(rf"(?:{IDENT}|\.)*")
VERSION = re.compile(r"[0-9]*")
COMMENT_MARK = re.compile(r"/\*|\*/")
VERSIONED = re.compile(r"/\*M?!([0-9]{5,})")
OLDEST_SERVER = 80011


def split(sql: str, reading: Reading) -> Statements:
    tokens = Tokens()
    position, length = 0, len(sql)
    with_params = reading.with_params
    executable = False  # Inside /*! ... */, whose contents are code.
    while position < length:
        match = TOKEN.match(sql, position)
        assert match is not None  # MY_LEX_CHAR takes any character.
        kind, end = match.lastgroup, match.end()
        if kind == "identifier":
            tokens.add(upper(match.group()))
        elif kind == "space":
            pass
        elif kind in ("number", "integer"):
            tokens.add(match.group())
        elif kind == "real":
            if sql[end : end + 1] in ("e", "E"):
                raise Unreadable  # MY_LEX_REAL: an exponent without digits.
            tokens.add(match.group())
        elif kind == "semicolon":
            if executable:
                raise Unreadable
            tokens.end_statement()
        elif kind in ("string", "dstring", "backtick"):
            quote = sql[end - 1]
            escapes = {
                "'": reading.backslash_escapes,
                '"': reading.double_quote_escapes,
            }
            content, end = read_quoted(sql, end, quote, escapes.get(quote, False))
            if with_params:
                check_percent_signs(content)
            tokens.add(('"' if quote == "`" else "'") + content)
        elif kind in ("hex", "bin"):
            # MY_LEX_HEX_NUMBER, MY_LEX_BIN_NUMBER: digits only, then a quote.
            body = (HEX_BODY if kind == "hex" else BIN_BODY).match(sql, end)
            assert body is not None
            end = body.end() + 1
            if sql[end - 1 : end] != "'":
                raise Unreadable
            tokens.add("'" + body.group())
        elif kind == "variable":
            end = read_variable(sql, position, end, reading, tokens)
        elif kind == "comment":
            if with_params:
                check_percent_signs(match.group())
        elif kind == "xc":
            # A plain comment does not nest; inside /*! one may appear.
            closing = sql.find("*/", end)
            if closing == -1:
                raise Unreadable
            if with_params:
                check_percent_signs(sql[end:closing])
            end = closing + 2
        elif kind == "executable":
            if executable:
                raise Unreadable  # Nested executable comments are refused.
            mariadb_only = match.group() == "/*M!"
            if mariadb_only and not reading.mariadb:
                end = end_of_skipped_comment(sql, end)  # MySQL: a comment.
            else:
                end, executable = executable_comment(sql, end, reading)
        elif kind == "close":
            if executable:
                executable = False
            else:  # Outside a comment, "*" and "/".
                tokens.add("*")
                tokens.add("/")
        elif kind == "percent":
            end, token = percent_sign(sql, position, with_params)
            tokens.add(token)
        else:
            tokens.add(match.group())
        position = end
    if executable:
        raise Unreadable
    return tokens.finish()


def read_quoted(
    sql: str, position: int, quote: str, backslash_escapes: bool
) -> tuple[str, int]:
    end = end_of_body(BODIES[quote, backslash_escapes], sql, position)
    if sql[end : end + 1] != quote:
        raise Unreadable  # An unterminated string or name.
    return sql[position:end], end + 1


def read_variable(
    sql: str, position: int, end: int, reading: Reading, tokens: Tokens
) -> int:
    """``@name``, ``@'name'``, ``@@name``, ``@@session.name``, as one token."""
    at_signs = sql[position:end]
    quote = sql[end : end + 1]
    if quote in ("'", '"', "`"):
        escapes = {"'": reading.backslash_escapes, '"': reading.double_quote_escapes}
        name, end = read_quoted(sql, end + 1, quote, escapes.get(quote, False))
    else:
        match = VARIABLE_NAME.match(sql, end)
        assert match is not None
        name, end = match.group(), match.end()
    if reading.with_params:
        check_percent_signs(name)
    tokens.add(at_signs + upper(name))
    return end


def executable_comment(sql: str, position: int, reading: Reading) -> tuple[int, bool]:
    """
    After ``/*!`` or ``/*M!``: with no version, or one the server has
    reached, the contents are code; with a later version, a comment to skip.
    Returns where to go on, and whether the contents are code.
    """
    digits = VERSION.match(sql, position)
    assert digits is not None
    count = len(digits.group())
    if not count:
        return position, True
    if count < 5:
        raise Unreadable  # The server refuses a version of fewer than 5 digits.
    used = 6 if count >= 6 else 5
    if int(digits.group()[:used]) <= reading.server_version:
        return position + used, True
    return end_of_skipped_comment(sql, position + used), False


def end_of_skipped_comment(sql: str, position: int) -> int:
    """consume_comment(lip, 1): one nested plain comment is allowed."""
    depth = 1
    for mark in COMMENT_MARK.finditer(sql, position):
        if mark.group() == "*/":
            depth -= 1
            if not depth:
                return mark.end()
        elif depth == 1:
            depth = 2
    raise Unreadable


def versions(sql: str) -> list[int]:
    """
    The versions of executable comments the text may hold that some server
    Django supports (MySQL 8.0.11, MariaDB 10.5 and later) has not reached.
    """
    found = {int(match.group(1)[:6]) for match in VERSIONED.finditer(sql)}
    return sorted(version for version in found if version > OLDEST_SERVER)
