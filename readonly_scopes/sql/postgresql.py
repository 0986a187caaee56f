"""
PostgreSQL's lexer, after PostgreSQL 15's ``src/backend/parser/scan.l``
(and ``parser.c`` for ``UESCAPE``). Each rule names the scanner rule it
mirrors; names in braces are scan.l's definitions.
"""

from __future__ import annotations

import re

from readonly_scopes.sql.lexing import (
    NAME_CHAR,
    NAME_START,
    Reading,
    RefusedWhole,
    Statements,
    Tokens,
    Unreadable,
    body,
    check_percent_signs,
    end_of_body,
    percent_sign,
    upper,
)

# {ident_start}, {ident_cont}, {dolq_start}, {dolq_cont}: any byte >= 0x80,
# so any non-ASCII character, is a letter; "$" continues a name.
IDENT_START = NAME_START
IDENT_CONT = NAME_CHAR
DOLQ_CONT = r"[^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"  # No "$".
TOKEN = re.compile(
    rf"""
    (?P<space>[ \t\n\r\f]+)                          # {{space}}: no \v
    |(?P<comment>--[^\n\r]*)                         # {{comment}}: \r ends it too
    |(?P<xc>/\*)                                     # {{xcstart}}
    |(?P<xui>[uU]&")                                 # {{xuistart}}
    |(?P<xus>[uU]&')                                 # {{xusstart}}
    |(?P<xe>[eE]')                                   # {{xestart}}
    |(?P<xb>[bBxX]')                                 # {{xbstart}}, {{xhstart}}
    |(?P<xq>[nN]?')                                  # {{xnstart}}, {{xqstart}}
    |(?P<xd>")                                       # {{xdstart}}
    |(?P<dolq>\$(?:{IDENT_START}{DOLQ_CONT}*)?\$)      # {{dolqdelim}}
    |(?P<param>\$[0-9]+)                             # {{param}}
    |(?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)
                                             # {{integer}}, {{decimal}}, {{real}}
    |(?P<identifier>{IDENT_START}{IDENT_CONT}*)      # {{identifier}}
    |(?P<percent>%)
    |(?P<semicolon>;)
    |(?P<other>.)                                    # {{self}}, {{operator}}, {{other}}
    """,
    re.VERBOSE | re.DOTALL,
)
# {integer_junk}, {numeric_junk}, {real_junk}, {param_junk}: PostgreSQL 15
# refuses a number or parameter followed by a letter ("1.INTO", "1e").
JUNK = re.compile(IDENT_START)
DOLLAR_DELIMITER = re.compile(rf"\$(?:{IDENT_START}{DOLQ_CONT}*)?\$")
COMMENT_MARK = re.compile(r"/\*|\*/")
# {xqinside}/{xqdouble}; {xeinside}/{xeescape}/{xqdouble}; {xbinside}/{xhinside};
# {xdinside}/{xddouble}.
STANDARD_BODY = body(r"[^']*(?:''[^']*)")
ESCAPED_BODY = body(r"[^'\\]*(?:(?:''|\\.)[^'\\]*)")
BIT_BODY = re.compile(r"[^']*")
IDENTIFIER_BODY = body(r'[^"]*(?:""[^"]*)')
# {quotecontinue}: a quote after white space holding a newline continues the
# string, in the same state (so E'...' continues with backslash escapes).
QUOTE_CONTINUE = re.compile(
    r"[ \t\f]*(?:--[^\n\r]*)?[\n\r](?:[ \t\n\r\f]|--[^\n\r]*[\n\r])*'"
)
# parser.c's lookahead for UESCAPE, past white space and comments.
IGNORED = re.compile(r"(?:[ \t\n\r\f]+|--[^\n\r]*)*")
UESCAPE = re.compile(rf"[uU][eE][sS][cC][aA][pP][eE](?!{IDENT_CONT})")
ESCAPE_CHARACTER = re.compile(r"'([^'])'")
NOT_ESCAPE_CHARACTERS = frozenset("0123456789abcdefABCDEF+'\" \t\n\r\f")
HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
HEX6 = re.compile(r"\+[0-9A-Fa-f]{6}")


def split(sql: str, reading: Reading) -> Statements:
    tokens = Tokens()
    position, length = 0, len(sql)
    with_params = reading.with_params
    while position < length:
        match = TOKEN.match(sql, position)
        assert match is not None  # {other} matches any character.
        kind, end = match.lastgroup, match.end()
        if kind == "identifier":
            tokens.add(upper(match.group()))
        elif kind == "space":
            pass
        elif kind in ("number", "param"):
            if JUNK.match(sql, end):
                raise Unreadable
            tokens.add(match.group() if kind == "number" else "?")
        elif kind == "semicolon":
            tokens.end_statement()
        elif kind == "comment":
            if with_params:
                check_percent_signs(match.group())
        elif kind == "xc":
            end = end_of_comment(sql, position)
            if with_params:
                check_percent_signs(sql[position:end])
        elif kind in ("xq", "xe", "xb", "xus"):
            end = read_string(sql, end, kind, reading, tokens)
        elif kind == "xd":
            content, end = read_quoted(sql, end, IDENTIFIER_BODY, '"')
            tokens.add(name_token(content.replace('""', '"'), with_params))
        elif kind == "xui":
            content, end = read_quoted(sql, end, IDENTIFIER_BODY, '"')
            escape, end = unicode_escape_character(sql, end)
            decoded = decode_unicode(content.replace('""', '"'), escape)
            tokens.add(name_token(decoded, with_params))
        elif kind == "dolq":
            closing = end_of_dollar_quote(sql, end, match.group())
            content = sql[end:closing]
            if with_params:
                check_percent_signs(content)
            tokens.add("'" + content)
            end = closing + len(match.group())
        elif kind == "percent":
            end, token = percent_sign(sql, position, with_params)
            tokens.add(token)
        else:
            tokens.add(match.group())
        position = end
    return tokens.finish()


def name_token(name: str, with_params: bool) -> str:
    if not name:
        raise Unreadable  # "zero-length delimited identifier"
    if with_params:
        check_percent_signs(name)
    return '"' + name


def read_quoted(
    sql: str, position: int, pattern: re.Pattern[str], quote: str
) -> tuple[str, int]:
    """The contents from ``position`` to the closing quote, and the end after it."""
    end = end_of_body(pattern, sql, position)
    if sql[end : end + 1] != quote:
        raise Unreadable  # "unterminated quoted string"
    return sql[position:end], end + 1


def read_string(
    sql: str, position: int, kind: str | None, reading: Reading, tokens: Tokens
) -> int:
    """Read a string literal and its {quotecontinue} parts; return its end."""
    if kind == "xb":
        pattern = BIT_BODY
    elif kind == "xe" or (kind == "xq" and reading.backslash_escapes):
        pattern = ESCAPED_BODY  # {xqstart} is read as {xestart} without
    else:  # standard_conforming_strings.
        pattern = STANDARD_BODY
    if kind == "xus" and reading.backslash_escapes:
        raise RefusedWhole  # "unsafe use of string constant with Unicode escapes"
    parts = []
    while True:
        content, position = read_quoted(sql, position, pattern, "'")
        parts.append(content)
        continued = QUOTE_CONTINUE.match(sql, position)
        if continued is None:
            break
        position = continued.end()
    content = "".join(parts)
    if reading.with_params:
        check_percent_signs(content)
    if kind == "xus":
        escape, position = unicode_escape_character(sql, position)
        content = decode_unicode(content.replace("''", "'"), escape)
    tokens.add("'" + content)
    return position


def end_of_comment(sql: str, position: int) -> int:
    """{xcstart} ... {xcstop}, nested: each "/*" opens one more level."""
    closing = sql.find("*/", position + 2)
    if closing != -1 and sql.find("/*", position + 2, closing + 1) == -1:
        return closing + 2  # Nothing nested: the common case, in C.
    depth = 0
    for mark in COMMENT_MARK.finditer(sql, position):
        if mark.group() == "/*":
            depth += 1
        else:
            depth -= 1
            if not depth:
                return mark.end()
    raise Unreadable  # "unterminated /* comment"


def end_of_dollar_quote(sql: str, position: int, tag: str) -> int:
    """
    Where the closing tag starts. <xdolq>{dolqdelim}: a delimiter that is not
    the tag gives back its last "$", which may start the tag.
    """
    while True:
        found = sql.find("$", position)
        if found == -1:
            raise Unreadable  # "unterminated dollar-quoted string"
        delimiter = DOLLAR_DELIMITER.match(sql, found)
        if delimiter is None:
            position = found + 1
        elif delimiter.group() == tag:
            return found
        else:
            position = delimiter.end() - 1


def unicode_escape_character(sql: str, position: int) -> tuple[str, int]:
    """An optional ``UESCAPE 'c'`` after a U& token: the escape and the end."""
    after = skip_ignored(sql, position)
    keyword = UESCAPE.match(sql, after)
    if keyword is None:
        return "\\", position
    character = ESCAPE_CHARACTER.match(sql, skip_ignored(sql, keyword.end()))
    if character is None or character.group(1) in NOT_ESCAPE_CHARACTERS:
        raise Unreadable  # "invalid Unicode escape character"
    return character.group(1), character.end()


def skip_ignored(sql: str, position: int) -> int:
    while True:
        match = IGNORED.match(sql, position)
        assert match is not None
        position = match.end()
        if not sql.startswith("/*", position):
            return position
        position = end_of_comment(sql, position)


def decode_unicode(text: str, escape: str) -> str:
    """Undo U& escapes (``\\XXXX``, ``\\+XXXXXX``, doubled escape), as the server."""
    out: list[str] = []
    position, length = 0, len(text)
    while position < length:
        found = text.find(escape, position)
        if found == -1:
            out.append(text[position:])
            break
        out.append(text[position:found])
        if text.startswith(escape, found + 1):
            out.append(escape)
            position = found + 2
            continue
        if short := HEX4.match(text, found + 1):
            code, position = int(short.group(), 16), short.end()
        elif long := HEX6.match(text, found + 1):
            code, position = int(long.group()[1:], 16), long.end()
        else:
            raise Unreadable  # "invalid Unicode escape"
        if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise Unreadable  # Surrogate pairs and zero: refused here, rare.
        out.append(chr(code))
    return "".join(out)
