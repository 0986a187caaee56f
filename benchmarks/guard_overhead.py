"""
What the guard costs per query, beside django-read-only's, in one process.

Three set-ups take turns in every round: no guard, django-read-only's guard
and this package's guard, on SQLite in memory, for raw cursor.execute() and
for ORM get(), with the process flag on (statements are classified) and off.
The overhead of a guard is its time per query minus the unguarded time of the
same round; the figures are medians over the rounds.

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

from readonly_scopes import classify  # noqa: E402
from readonly_scopes.guard import guard_for  # noqa: E402
from readonly_scopes.state import FLAG  # noqa: E402

GUARDS: dict[str, list[Any]] = {
    "none": [],
    "django-read-only": [django_read_only.blocker],
    "readonly_scopes": [guard_for("sqlite")],
}


def set_flag(on: bool) -> None:
    django_read_only.read_only = on
    FLAG.set(on, "the benchmark")


def per_query(run: Callable[[], object], count: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(count):
        run()
    return (time.perf_counter_ns() - start) / count


def measure(rounds: int, count: int) -> dict[tuple[str, str, str], list[float]]:
    cursor = connection.cursor()
    workloads: dict[str, Callable[[], object]] = {
        "cursor.execute('SELECT 1')": lambda: cursor.execute("SELECT 1"),
        "User.objects.get(pk=1)": lambda: User.objects.get(pk=1),
    }
    times: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for _ in range(rounds):
        for flag in ("on", "off"):
            set_flag(flag == "on")
            for workload, run in workloads.items():
                order = list(GUARDS)
                random.shuffle(order)
                for name in order:
                    connection.execute_wrappers[:] = GUARDS[name]
                    times[(workload, flag, name)].append(per_query(run, count))
    connection.execute_wrappers[:] = []
    set_flag(False)
    return times


def verdict_cost(count: int) -> tuple[float, float]:
    """A cached verdict: for a statement object seen before, and for a new one."""
    sql = str(User.objects.filter(pk=1).query)
    classify.is_read(sql, "sqlite")
    same = per_query(lambda: classify.is_read(sql, "sqlite"), count)
    copies = [sql.encode().decode() for _ in range(count)]
    start = time.perf_counter_ns()
    for copy in copies:
        classify.is_read(copy, "sqlite")
    fresh = (time.perf_counter_ns() - start) / count
    return same, fresh


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--count", type=int, default=3000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    User.objects.create(username="reader")
    # Warm up caches and code paths before measuring.
    measure(2, 300)
    times = measure(args.rounds, args.count)

    print(f"{'workload':30} {'flag':4} {'guard':17} {'ns/query':>9} {'overhead':>9}")
    checks: list[tuple[str, bool]] = []
    for workload in ("cursor.execute('SELECT 1')", "User.objects.get(pk=1)"):
        for flag in ("on", "off"):
            base = times[(workload, flag, "none")]
            overhead = {}
            for name in GUARDS:
                samples = times[(workload, flag, name)]
                overhead[name] = statistics.median(
                    sample - unguarded
                    for sample, unguarded in zip(samples, base, strict=True)
                )
                median, extra = statistics.median(samples), overhead[name]
                print(f"{workload:30} {flag:4} {name:17} {median:9.0f} {extra:9.0f}")
            if flag == "on":
                ratio = overhead["readonly_scopes"] / overhead["django-read-only"]
                print(f"    overhead ratio, ours / django-read-only: {ratio:.2f}")
                description = f"flag on, {workload}: overhead ratio {ratio:.2f} <= 1.0"
                checks.append((description, ratio <= 1.0))
    slowdown = statistics.median(
        ours / theirs
        for ours, theirs in zip(
            times[("cursor.execute('SELECT 1')", "off", "readonly_scopes")],
            times[("cursor.execute('SELECT 1')", "off", "django-read-only")],
            strict=True,
        )
    )
    description = (
        f"flag off, SELECT 1: ours / django-read-only = {slowdown:.3f} <= 1.05"
    )
    checks.append((description, slowdown <= 1.05))
    same, fresh = verdict_cost(args.count * 10)
    for cost, kind in ((same, "same text object"), (fresh, "new text object")):
        checks.append(
            (f"cached verdict: {cost:.0f} ns ({kind}) < 1000 ns", cost < 1000)
        )
    print()
    for description, passed in checks:
        print(f"{'OK    ' if passed else 'MISSED'} {description}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
