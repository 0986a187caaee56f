"""
SQLite's lexer, after ``src/tokenize.c`` (``sqlite3GetToken``). Each rule
names the character class (``CC_...``) it mirrors.

Django's SQLite backend sends the text unchanged without parameters; with
them it turns ``%s`` into ``?`` and ``%%`` into ``%``. SQLite binds the
values, so a placeholder never changes where a token ends.
"""

from __future__ import annotations

import re

from readonly_scopes.sql.lexing import (
    NAME_CHAR,
    NAME_START,
    Reading,
    Statements,
    Tokens,
    Unreadable,
    body,
    end_of_body,
    upper,
)

# IdChar(): letters, digits, "_", "$" and every byte >= 0x80.
ID_START = NAME_START
ID_CHAR = NAME_CHAR
TOKEN = re.compile(
    rf"""
    (?P<space>[ \t\n\f\r]+)                        # CC_SPACE: no \v
    |(?P<comment>--[^\n]*)                         # CC_MINUS: to "\n" only
    |(?P<xc>/\*)                                   # CC_SLASH
    |(?P<blob>[xX]')                               # CC_X
    |(?P<string>')                                 # CC_QUOTE
    |(?P<quoted>["`])                              # CC_QUOTE: a name
    |(?P<bracket>\[)                               # CC_LB
    |(?P<number>(?:0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?))
                                                   # CC_DIGIT, CC_DOT
    |(?P<identifier>{ID_START}{ID_CHAR}*)          # CC_KYWD, CC_ID
    |(?P<question>\?[0-9]*)                        # CC_VARNUM
    |(?P<variable>[$@:\#])                         # CC_DOLLAR, CC_VARALPHA
    |(?P<percent>%(?:\([^)]*\))?s|%%)
    |(?P<semicolon>;)
    |(?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
JUNK = re.compile(ID_CHAR)
BODIES = {
    "'": body(r"[^']*(?:''[^']*)"),
    '"': body(r'[^"]*(?:""[^"]*)'),
    "`": body(r"[^`]*(?:``[^`]*)"),
}
BLOB_BODY = re.compile(r"[0-9a-fA-F]*")
# CC_DOLLAR, CC_VARALPHA: IdChar()s, "::" pairs, and after at least one
# IdChar a "(...)" suffix with no white space.
VARIABLE = re.compile(rf"(?:{ID_CHAR}|::)*")
SUFFIX = re.compile(r"\([^ \t\n\v\f\r)]*\)")


def split(sql: str, reading: Reading) -> Statements:
    tokens = Tokens()
    position, length = 0, len(sql)
    while position < length:
        match = TOKEN.match(sql, position)
        assert match is not None  # The last rule takes any character.
        kind, end = match.lastgroup, match.end()
        if kind == "identifier":
            tokens.add(upper(match.group()))
        elif kind in ("space", "comment"):
            pass
        elif kind == "number":
            if JUNK.match(sql, end):
                raise Unreadable  # TK_ILLEGAL: "1.x", "1e"
            tokens.add(match.group())
        elif kind == "semicolon":
            tokens.end_statement()
        elif kind == "xc":
            closing = sql.find("*/", end)
            # An unterminated comment runs to the end of the text.
            end = length if closing == -1 else closing + 2
        elif kind in ("string", "quoted"):
            quote = match.group()
            closing = end_of_body(BODIES[quote], sql, end)
            if sql[closing : closing + 1] != quote:
                raise Unreadable  # TK_ILLEGAL: unterminated.
            tokens.add(("'" if quote == "'" else '"') + sql[end:closing])
            end = closing + 1
        elif kind == "bracket":
            closing = sql.find("]", end)
            if closing == -1:
                raise Unreadable
            tokens.add('"' + sql[end:closing])
            end = closing + 1
        elif kind == "blob":
            body = BLOB_BODY.match(sql, end)
            assert body is not None
            end = body.end() + 1
            if sql[end - 1 : end] != "'" or len(body.group()) % 2:
                raise Unreadable  # TK_ILLEGAL
            tokens.add("'" + body.group())
        elif kind == "variable":
            end = end_of_variable(sql, end)
            tokens.add("?")
        elif kind == "question":
            tokens.add("?")
        elif kind == "percent" and reading.with_params:
            tokens.add("%" if match.group() == "%%" else "?")
        else:
            tokens.add(sql[position])
            end = position + 1
        position = end
    return tokens.finish()


def end_of_variable(sql: str, position: int) -> int:
    name = VARIABLE.match(sql, position)
    assert name is not None
    end = name.end()
    if end == position:
        raise Unreadable  # TK_ILLEGAL: "$", ":" alone.
    if sql.startswith("(", end):
        suffix = SUFFIX.match(sql, end)
        if suffix is None:
            raise Unreadable
        end = suffix.end()
    return end
