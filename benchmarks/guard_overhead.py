"""
What the guard costs per query, beside django-read-only's, in one process.

Three set-ups take turns, in a new random order every round: no guard,
django-read-only's guard and this package's guard, on SQLite in memory, for
raw cursor.execute("SELECT 1") and for ORM get(), with the process flag on
(statements are classified) and off. Figures are medians over the rounds.

1. End to end: time per query, and the overhead of each guard over the
   unguarded time of the same round.
2. The guard alone: the same statements (captured from the workloads, with a
   new string object per call for the ORM, as the ORM builds its SQL anew each
   time) passed through each guard to an execute that does nothing. An ORM
   query takes about a hundred times longer than a guard, so here the guard's
   cost is not lost in the noise of the query's.

    python3 dev.py benchmark
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django
from django.conf import settings

settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    INSTALLED_APPS=[
        "readonly_scopes",
        "django.contrib.contenttypes",
        "django.contrib.auth",
    ],
    USE_TZ=True,
)
django.setup()

import django_read_only  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from readonly_scopes.guard import guard_for  # noqa: E402
from readonly_scopes.sql import verdicts  # noqa: E402
from readonly_scopes.state import FLAG  # noqa: E402

GUARDS: dict[str, Any] = {
    "none": None,
    "django-read-only": django_read_only.blocker,
    "readonly_scopes": guard_for("sqlite"),
}
RAW, ORM = "cursor.execute('SELECT 1')", "User.objects.get(pk=1)"
Times = dict[tuple[str, str, str], list[float]]


def set_flag(on: bool) -> None:
    django_read_only.read_only = on
    FLAG.set(on, "the benchmark")


def rounds_of(rounds: int, measure: Callable[[str, str, str], float]) -> Times:
    """Call ``measure(workload, flag, guard)`` for everything, interleaved."""
    times: Times = defaultdict(list)
    for _ in range(rounds):
        for flag in ("on", "off"):
            set_flag(flag == "on")
            for workload in (RAW, ORM):
                order = list(GUARDS)
                random.shuffle(order)
                for name in order:
                    times[(workload, flag, name)].append(measure(workload, flag, name))
    set_flag(False)
    return times


def end_to_end(rounds: int, count: int) -> Times:
    cursor = connection.cursor()
    runs: dict[str, Callable[[], object]] = {
        RAW: lambda: cursor.execute("SELECT 1"),
        ORM: lambda: User.objects.get(pk=1),
    }

    def measure(workload: str, flag: str, name: str) -> float:
        guard = GUARDS[name]
        connection.execute_wrappers[:] = [] if guard is None else [guard]
        run = runs[workload]
        start = time.perf_counter_ns()
        for _ in range(count):
            run()
        return (time.perf_counter_ns() - start) / count

    try:
        return rounds_of(rounds, measure)
    finally:
        connection.execute_wrappers[:] = []


def captured(run: Callable[[], object]) -> tuple[str, Any, dict[str, Any]]:
    seen: list[tuple[str, Any, dict[str, Any]]] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, params, context))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        run()
    return seen[0]


def guard_alone(rounds: int, count: int) -> Times:
    cursor = connection.cursor()
    statements = {
        RAW: captured(lambda: cursor.execute("SELECT 1")),
        ORM: captured(lambda: User.objects.get(pk=1)),
    }

    def nothing(sql: str, params: Any, many: bool, context: Any) -> None:
        return None

    def measure(workload: str, flag: str, name: str) -> float:
        sql, params, context = statements[workload]
        # Raw execute passes one constant string; the ORM builds a new one.
        texts = [
            sql if workload == RAW else sql.encode().decode() for _ in range(count)
        ]
        guard = GUARDS[name]
        start = time.perf_counter_ns()
        if guard is None:
            for text in texts:
                nothing(text, params, False, context)
        else:
            for text in texts:
                guard(nothing, text, params, False, context)
        return (time.perf_counter_ns() - start) / count

    return rounds_of(rounds, measure)


def overheads(times: Times, workload: str, flag: str) -> dict[str, float]:
    base = times[(workload, flag, "none")]
    return {
        name: statistics.median(
            sample - unguarded
            for sample, unguarded in zip(
                times[(workload, flag, name)], base, strict=True
            )
        )
        for name in GUARDS
    }


def verdict_cost(count: int) -> tuple[float, float]:
    """A cached verdict: for a statement object seen before, and for a new one."""
    sql = str(User.objects.filter(pk=1).query)
    verdicts.is_read(sql, "sqlite")
    copies = [sql.encode().decode() for _ in range(count)]
    start = time.perf_counter_ns()
    for _ in range(count):
        verdicts.is_read(sql, "sqlite")
    same = (time.perf_counter_ns() - start) / count
    start = time.perf_counter_ns()
    for copy in copies:
        verdicts.is_read(copy, "sqlite")
    return same, (time.perf_counter_ns() - start) / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    User.objects.create(username="reader")
    end_to_end(2, 200)  # Warm up.
    whole = end_to_end(args.rounds, args.count)
    alone = guard_alone(args.rounds, args.count * 10)

    print(f"Python {sys.version.split()[0]}, Django {django.get_version()}")
    print(f"{args.rounds} rounds of {args.count} queries; overheads in ns per query\n")
    heading = f"{'workload':28} {'flag':4} {'guard':17} {'query':>8}"
    print(f"{heading} {'overhead':>9} {'alone':>6}")
    checks: list[tuple[str, bool]] = []
    for workload in (RAW, ORM):
        for flag in ("on", "off"):
            extra, cost = (
                overheads(whole, workload, flag),
                overheads(alone, workload, flag),
            )
            for name in GUARDS:
                query = statistics.median(whole[(workload, flag, name)])
                row = f"{workload:28} {flag:4} {name:17} {query:8.0f}"
                print(f"{row} {extra[name]:9.0f} {cost[name]:6.0f}")
            if flag == "on":
                ratio = cost["readonly_scopes"] / cost["django-read-only"]
                description = (
                    f"flag on, {workload}: guard cost ratio {ratio:.2f} <= 1.0"
                )
                checks.append((description, ratio <= 1.0))
    slowdown = statistics.median(
        ours / theirs
        for ours, theirs in zip(
            whole[(RAW, "off", "readonly_scopes")],
            whole[(RAW, "off", "django-read-only")],
            strict=True,
        )
    )
    description = f"flag off, {RAW}: time ratio {slowdown:.3f} <= 1.05"
    checks.append((description, slowdown <= 1.05))
    same, fresh = verdict_cost(args.count * 10)
    for cost_ns, kind in ((same, "same text object"), (fresh, "new text object")):
        checks.append(
            (f"cached verdict: {cost_ns:.0f} ns ({kind}) < 1000 ns", cost_ns < 1000)
        )
    print("\nOurs beside django-read-only's:")
    for description, passed in checks:
        print(f"{'OK    ' if passed else 'MISSED'} {description}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
