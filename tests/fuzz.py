"""
A generator of unusual but valid SQL, from grammar pieces that exercise every
lexer rule: every quote and comment form, string prefixes and introducers,
non-ASCII and control characters, placeholders with and without parameters,
numbers running into keywords, nesting, several statements at once.

The statements it hides inside quotes and comments are writes the database
refuses in its read-only mode, so a misread shows up as a refusal and never
changes anything: no file, server or account setting is ever generated.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

PAYLOADS = [
    "DELETE FROM rs_probe",
    "UPDATE rs_probe SET name = 'x'",
    "INSERT INTO rs_probe (id, name) VALUES (9, 'n')",
]

# {e}: an expression; {w}: a hidden write; {q}: a query; {g}: a gap.
QUERIES = {
    "common": [
        "SELECT {e}",
        "SELECT {e}{g}FROM rs_probe",
        "SELECT {e},{g}{e}",
        "SELECT name FROM rs_probe WHERE id ={g}{e}",
        "WITH t AS (SELECT {e} AS x) SELECT x FROM t",
        "SELECT {e} FROM rs_probe WHERE name IN (SELECT {e})",
        "({q})",
        "SELECT 1 AS {n}",
    ],
    "sqlite": ["VALUES ({e})", "EXPLAIN {q}", "EXPLAIN QUERY PLAN {w}"],
    "postgresql": [
        "VALUES ({e})",
        "TABLE rs_probe",
        "EXPLAIN {w}",
        "EXPLAIN ({opt} {bool}) {w}",
        "EXPLAIN ({opt} {bool}) {q}",
        "SELECT * FROM rs_probe FOR {lock}",
        "SELECT {fn}",
        "PREPARE {name} AS {q}; EXECUTE {name}",
        "PREPARE {name} AS {w}; EXECUTE {name}",
        "DECLARE {name} CURSOR FOR {q}; FETCH ALL FROM {name}",
        "COPY ({q}) TO STDOUT",
    ],
    "mysql": [
        "SELECT {e} INTO @g",
        "SELECT {num}INTO @g",
        "SELECT * FROM rs_probe {lock}",
        "SELECT {fn}",
        "ANALYZE {q}",
        "ANALYZE FORMAT=JSON {w}",
        "EXPLAIN FORMAT=JSON {w}",
        "SHOW TABLES WHERE {e} IS NOT NULL",
        "DO {e}",
        "SET @g = {e}",
        "SET STATEMENT max_statement_time = 10 FOR {q}",
        "SET STATEMENT max_statement_time = 10 FOR {w}",
        "PREPARE {name} FROM 'SELECT 1'; EXECUTE {name}",
    ],
}
WRITES = {
    "common": PAYLOADS,
    "sqlite": [],
    "postgresql": ["SELECT nextval('rs_seq')"],
    "mysql": ["SELECT NEXTVAL(rs_seq)"],
}
EXPRESSIONS = {
    "common": [
        "{lit}",
        "{num}",
        "name",
        "({e})",
        "coalesce({e}, {e})",
        "(SELECT {e})",
        "{e} || {e}",
        "%s",
        "7 %% 3",
    ],
    "sqlite": ['"name"', "[name]", "`name`", "?"],
    "postgresql": ['"name"', 'U&"n\\0061me"', "$1", "{e}::text"],
    "mysql": ["`name`", "@g", "@@session.sql_mode", "@'g'", '@"g"'],
}
LITERALS = {
    "common": [
        "'x'",
        "'it''s'",
        "'; {w}; --'",
        "'/*'",
        "'*/'",
        "'--'",
        "'a\\'; {w}; -- '",
        "'a\\\\'",
        "'%s'",
        "'%%'",
        "'é€ ✓'",
        "'\x01\x7f'",
        "'\r\n'",
        "'$$'",
        "''",
    ],
    "sqlite": ["X'4a'", "x'00ff'", '"x"'],
    "postgresql": [
        "E'\\''",
        "e'\\\\'",
        "E'x'\n'\\'; {w}; -- '",
        "'x'\n'y'",
        "'x' -- c\n'y'",
        "U&'\\0041'",
        "U&'!0041' UESCAPE '!'",
        "U&'d\\0061ta'",
        "$$ ; {w}; $$",
        "$t$ $$ ; {w} $t$",
        "$é$ x $é$",
        "$b$ $ab$' $b$",
        "$b$ $ab$ $b$",
        "B'101'",
        "X'1F'",
        "N'x'",
        "$$x$$",
    ],
    "mysql": [
        '"x"',
        '"a\\"; {w}; -- "',
        "X'4a'",
        "b'01'",
        "N'x'",
        "_utf8mb4'x'",
        "_binary 'x'",
        "'a' 'b'",
        '"a""b"',
    ],
}
NUMBERS = {
    "common": ["1", "1.", ".5", "1.5e3", "0", "12"],
    "sqlite": ["0x1F", "1e5"],
    "postgresql": ["1e5"],
    "mysql": ["0x1F", "1e5", "1e5a", "0b1", "1.e5"],
}
GAPS = {
    "common": [
        " ",
        "  ",
        "\n",
        "\t",
        "\r\n",
        "\f",
        " /* c */ ",
        "/**/",
        " /* ; {w} */ ",
        " -- c\n",
        " -- ; {w}\n",
        " -- c\r; {w}\n",
        "\u00a0",
        "\v",
    ],
    "sqlite": [" /* ; {w}"],
    "postgresql": [" /* a /* ; {w} */ b */ ", " /*/ x */ ", "--c\r"],
    "mysql": [
        " # ; {w}\n",
        "#c\r; {w}\n",
        " /*! */ ",
        "/*!50000 */",
        " /*!99999 ; {w} */ ",
        " /*M! */ ",
        " /*+ hint */ ",
        " --\v",
        "--",
    ],
}
NAMES = {
    "common": ["g", "fuzz"],
    "sqlite": ['"g"'],
    "postgresql": ['"G"', "é"],
    "mysql": ["`g`"],
}
OPTIONS = {"postgresql": ["ANALYZE", '"analyze"', "analyse", "VERBOSE"]}
BOOLEANS = [
    "",
    "true",
    "false",
    "on",
    "off",
    "0",
    "1",
    "'false'",
    "'off'",
    "'OFF'",
    "'1'",
]
LOCKS = {
    "postgresql": ["UPDATE", "SHARE", "KEY SHARE", "NO KEY UPDATE"],
    "mysql": ["FOR UPDATE", "LOCK IN SHARE MODE"],
}
FUNCTIONS = {
    "postgresql": [
        "nextval('rs_seq')",
        "\"nextval\"('rs_seq')",
        "pg_catalog.nextval('rs_seq')",
        "U&\"nextv\\0061l\"('rs_seq')",
        "NEXTVAL ('rs_seq')",
        "currval('rs_seq')",
        "lower('x')",
    ],
    "mysql": [
        "NEXTVAL(rs_seq)",
        "nextval (rs_seq)",
        "NEXT VALUE FOR rs_seq",
        "LOWER('x')",
    ],
}
SEPARATORS = [";", "; ", ";\n", " ; ", ";;"]
DEEPEST = 4


def pieces(kind: dict[str, list[str]], vendor: str) -> list[str]:
    return kind.get("common", []) + kind.get(vendor, [])


@dataclass
class Case:
    """A generated text, the parts it was built from, and whether it gets params."""

    parts: list[str]
    with_params: bool
    placeholders: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def sql(self) -> str:
        return "".join(self.parts)

    @property
    def params(self) -> tuple[int, ...] | None:
        return (7,) * self.placeholders if self.with_params else None


class Generator:
    def __init__(self, vendor: str, seed: int | None) -> None:
        self.vendor = vendor
        self.random = random.Random(seed)
        self.counter = 0
        self.name = ""

    def case(self) -> Case:
        # One name per case, so PREPARE and EXECUTE (or DECLARE and FETCH) meet.
        self.counter += 1
        self.name = f"rs_fuzz_{self.random.getrandbits(32)}_{self.counter}"
        with_params = self.random.random() < 0.5
        parts: list[str] = []
        for index in range(self.random.choice([1, 1, 1, 2, 3])):
            if index:
                parts.append(self.random.choice(SEPARATORS))
            template = self.random.choice(
                pieces(QUERIES, self.vendor) + pieces(WRITES, self.vendor)
            )
            parts.extend(self.expand(template, 0))
            # A gap at the end: where a write hidden in a comment can run.
            if self.random.random() < 0.5:
                parts.extend(self.fill("g", 0))
        case = Case(parts, with_params)
        case.placeholders = count_placeholders(case.sql)
        if self.random.random() < 0.2:
            case.parts = [part.lower() for part in case.parts]
        return case

    def expand(self, template: str, depth: int) -> list[str]:
        out: list[str] = []
        position = 0
        while True:
            opening = template.find("{", position)
            if opening == -1:
                out.append(template[position:])
                return out
            closing = template.find("}", opening)
            out.append(template[position:opening])
            out.extend(self.fill(template[opening + 1 : closing], depth + 1))
            position = closing + 1

    def fill(self, slot: str, depth: int) -> list[str]:
        vendor, choose = self.vendor, self.random.choice
        deep = depth >= DEEPEST
        if slot == "e":
            options = pieces(EXPRESSIONS, vendor)
            return self.expand(choose(options[:3] if deep else options), depth)
        if slot == "q":
            options = pieces(QUERIES, vendor)
            return self.expand("SELECT 1" if deep else choose(options), depth)
        if slot == "w":
            return self.expand(choose(PAYLOADS), depth)
        if slot == "lit":
            return self.expand(choose(pieces(LITERALS, vendor)), depth)
        if slot == "num":
            return [choose(pieces(NUMBERS, vendor))]
        if slot == "g":
            return self.expand(choose(pieces(GAPS, vendor)), depth)
        if slot == "n":
            return [choose(pieces(NAMES, vendor))]
        if slot == "name":
            return [self.name]
        if slot == "opt":
            return [choose(OPTIONS[vendor])]
        if slot == "bool":
            return [choose(BOOLEANS)]
        if slot == "lock":
            return [choose(LOCKS[vendor])]
        if slot == "fn":
            return [choose(FUNCTIONS[vendor])]
        raise AssertionError(slot)


def count_placeholders(sql: str) -> int:
    """What the driver will substitute: each %s outside "%%"."""
    return sql.replace("%%", "").count("%s")


def minimise(case: Case, still_fails: Callable[[Case], bool]) -> Case:
    """Drop parts one at a time while the disagreement stays."""
    parts = list(case.parts)
    changed = True
    while changed:
        changed = False
        for index in range(len(parts)):
            trial = Case(parts[:index] + parts[index + 1 :], case.with_params)
            trial.placeholders = count_placeholders(trial.sql)
            if trial.sql.strip() and still_fails(trial):
                parts = trial.parts
                changed = True
                break
    result = Case(parts, case.with_params)
    result.placeholders = count_placeholders(result.sql)
    return result
