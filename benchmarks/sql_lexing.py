"""
What reading SQL costs on pathological inputs, and how well the verdict
cache holds a working set.

1. Time per KB of classifying each shape at 1 KB to 1 MB (best of a few
   runs, not cached): flat means linear time. The ratio is the largest time
   per KB over the smallest.
2. A repeat of a long text, kept by digest, beside reading it again.
3. The hit rate of a working set of 5,000 distinct statements with the
   default cache size, in random order and in a cycle.

    python3 dev.py benchmark sql
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from readonly_scopes.sql import verdicts
from readonly_scopes.sql.classify import classify

SIZES = [1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20]


def repeat(unit: str, size: int) -> int:
    return max(1, size // len(unit))


SHAPES: dict[str, tuple[str, Callable[[int], str]]] = {
    "nested comments": (
        "postgresql",
        lambda n: "SELECT 1 " + "/*" * repeat("/**/", n) + "*/" * repeat("/**/", n),
    ),
    "string of backslashes": (
        "mysql",
        lambda n: "SELECT '" + "\\\\" * repeat("\\\\", n) + "'",
    ),
    "many statements": ("postgresql", lambda n: "SELECT 1;" * repeat("SELECT 1;", n)),
    "deep parentheses": (
        "postgresql",
        lambda n: "(" * repeat("()", n) + "SELECT 1" + ")" * repeat("()", n),
    ),
    "dollar signs in a dollar quote": (
        "postgresql",
        lambda n: "SELECT $a$" + "$b$ " * repeat("$b$ ", n) + "$a$",
    ),
    "SET STATEMENT chain": (
        "mysql",
        lambda n: (
            "SET STATEMENT a=1 FOR " * repeat("SET STATEMENT a=1 FOR ", n) + "SELECT 1"
        ),
    ),
    "executable comments": (
        "mysql",
        lambda n: "SELECT 1" + " /*! +1 */" * repeat(" /*! +1 */", n),
    ),
    "unterminated string": ("sqlite", lambda n: "SELECT '" + "x" * n),
    "long select list": (
        "sqlite",
        lambda n: "SELECT " + "1, " * repeat("1, ", n) + "1",
    ),
    "nested CTEs": (
        "postgresql",
        lambda n: (
            "WITH a AS (" * repeat("WITH a AS (SELECT 1) ", n)
            + "SELECT 1"
            + ") SELECT 1" * repeat("WITH a AS (SELECT 1) ", n)
        ),
    ),
}


def best_time(function: Callable[[], object], runs: int) -> float:
    """CPU time of the best run: the machine is shared, so not wall time."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        function()
        best = min(best, time.process_time() - start)
    return best


def per_kb() -> list[float]:
    """
    Time per KB beyond the fixed cost of classifying the same shape at its
    smallest (one unit, a few bytes), which would otherwise dominate at 1 KB.
    """
    print(f"{'shape':32} " + " ".join(f"{size // 1024:>7} KB" for size in SIZES))
    ratios = []
    for name, (vendor, make) in SHAPES.items():
        tiny = make(1)
        fixed = seconds_per_call(tiny, vendor)
        row = []
        for size in SIZES:
            sql = make(size)
            extra = max(seconds_per_call(sql, vendor) - fixed, 0)
            row.append(extra * 1e6 / ((len(sql) - len(tiny)) / 1024))
        ratios.append(max(row) / min(row))
        cells = " ".join(f"{cost:7.1f} µs" for cost in row)
        print(f"{name:32} {cells}   ratio {ratios[-1]:.2f}")
    return ratios


def seconds_per_call(sql: str, vendor: str) -> float:
    # Each timing reads at least 256 KB, so small texts are not lost in the
    # timer's resolution.
    calls = max(1, (1 << 18) // len(sql))
    total = best_time(lambda: [classify(sql, vendor) for _ in range(calls)], 3)
    return total / calls


def long_repeat() -> tuple[float, float]:
    sql = "SELECT " + ", ".join(["'x'"] * 200_000)
    verdicts.is_read(sql, "postgresql")
    cached = best_time(lambda: verdicts.is_read(sql, "postgresql"), 5)
    fresh = best_time(lambda: classify(sql, "postgresql"), 2)
    print(
        f"\nA {len(sql) // 1024} KB text again: {cached * 1e3:.2f} ms by digest, "
        f"{fresh * 1e3:.1f} ms read again"
    )
    return cached, fresh


def hit_rate(order: str, statements: int = 5000, lookups: int = 100_000) -> float:
    verdicts.verdicts.clear()
    texts = [f"SELECT name FROM t WHERE id = {number}" for number in range(statements)]
    chooser = random.Random(1)
    sequence = (
        [chooser.choice(texts) for _ in range(lookups)]
        if order == "random"
        else [texts[index % statements] for index in range(lookups)]
    )
    cache = verdicts.verdicts_for("sqlite")
    for sql in sequence[: statements * 2]:  # Warm up.
        verdicts.is_read(sql, "sqlite")
    hits = 0
    for sql in sequence:
        hits += sql in cache
        verdicts.is_read(sql, "sqlite")
    return hits / len(sequence)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args()
    print(f"Python {sys.version.split()[0]}; classification time per KB of text\n")
    ratios = per_kb()
    cached, fresh = long_repeat()
    rates = {order: hit_rate(order) for order in ("random", "cyclic")}
    print(
        f"\nWorking set of 5,000 statements, cache of {verdicts.CACHE_LIMIT}: "
        + ", ".join(
            f"{rate:.1%} hits in {order} order" for order, rate in rates.items()
        )
    )
    checks = [
        (
            f"time per KB within 2x from 1 KB to 1 MB (worst {max(ratios):.2f})",
            max(ratios) <= 2,
        ),
        (
            f"random working set hits {rates['random']:.1%} >= 75%",
            rates["random"] >= 0.75,
        ),
        ("a repeated long text costs under a tenth of reading it", cached * 10 < fresh),
    ]
    print()
    for description, passed in checks:
        print(f"{'OK    ' if passed else 'MISSED'} {description}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
