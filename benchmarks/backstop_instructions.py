"""
Machine instructions the backstop's hot paths cost, counted by valgrind's
callgrind, which gives the same count on a busy machine as on an idle one.

Each workload runs in its own process under callgrind twice, 0 times and
--count times after the same set-up; the difference divided by --count is
the cost of one call. SQLite in memory, the backstop on, its connection open
and already in the mode wanted, so no switch is sent:

* statement, read-only: the guard deciding a read inside read_only();
* statement, writable: the guard letting a statement through where writes
  are allowed, with the backstop on and off (what covering a writable
  process costs);
* read_only() block: entering and leaving one in a read-only process, with
  the backstop on and off.

    python3 dev.py benchmark backstop   # runs this at its end
    python benchmarks/backstop_instructions.py [--package-root DIR]

--package-root imports readonly_scopes from another checkout, to compare.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

WORKLOADS = {
    "statement-read-only": "statement, read-only",
    "statement-writable": "statement, writable",
    "statement-writable-off": "the same, backstop off",
    "scope": "read_only() block",
    "scope-off": "the same, backstop off",
}


def run_workload(name: str, count: int) -> None:
    import django
    from django.conf import settings

    settings.configure(
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
        },
        INSTALLED_APPS=["readonly_scopes"],
        DJANGO_READ_ONLY_ENFORCE=not name.endswith("-off"),
    )
    django.setup()
    from django.db import connections

    from readonly_scopes import disable_writes, read_only
    from readonly_scopes.guard import guard_for

    guard = guard_for("sqlite")
    # What Django passes: the connection itself, not django.db.connection.
    connection = connections["default"]
    context = {"connection": connection, "cursor": None}

    def execute(sql: object, params: object, many: bool, context: object) -> None:
        return None

    def query() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    query()  # Open, and in the writable mode.
    if name.startswith("statement-writable"):
        for _ in range(count):
            guard(execute, "SELECT 1", None, False, context)
    elif name == "statement-read-only":
        with read_only():
            query()  # The scope's switch is behind us.
            for _ in range(count):
                guard(execute, "SELECT 1", None, False, context)
    else:
        disable_writes()
        query()
        for _ in range(count):
            with read_only():
                pass


def instructions(name: str, count: int, package_root: str) -> int:
    with tempfile.TemporaryDirectory() as directory:
        out = os.path.join(directory, "callgrind.out")
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--package-root",
                package_root,
                "--workload",
                name,
                "--count",
                str(count),
            ],
            check=True,
            capture_output=True,
        )
        text = Path(out).read_text()
    found = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
    assert found, "callgrind wrote no total"
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--package-root", default=str(Path(__file__).resolve().parent.parent)
    )
    parser.add_argument("--count", type=int, default=2_000)
    parser.add_argument("--workload", choices=WORKLOADS)
    parser.add_argument("--only", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    args = parser.parse_args()
    sys.path.insert(0, args.package_root)
    if args.workload:
        run_workload(args.workload, args.count)
        return
    if shutil.which("valgrind") is None:
        print("No instruction counts: valgrind is missing (apt-get install valgrind).")
        return
    print(
        f"Instructions per call, counted by callgrind ({args.count:,} calls, "
        "set-up subtracted):\n"
    )
    for name in args.only:
        label = WORKLOADS[name]
        base = instructions(name, 0, args.package_root)
        total = instructions(name, args.count, args.package_root)
        print(f"{label:<24} {(total - base) / args.count:>10,.0f}")


if __name__ == "__main__":
    main()
