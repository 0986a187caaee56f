#!/usr/bin/env python3
"""
The two commands a fresh checkout needs:

    python3 dev.py example   # set up the example project, open its read-only shell
    python3 dev.py test      # lint, type-check and run the suite with coverage

Both work in .venv, made with the Python that runs this script, and install
what they need there. ``python3 dev.py test -k scopes`` passes its arguments to
pytest and runs only that (no linting, no coverage threshold).
``python3 dev.py benchmark [guard|backstop|instructions|sql]`` measures the
guard beside django-read-only's, the database backstop's cost per database,
the instructions a scope and the live-site middleware cost (with valgrind),
and the SQL classifier on pathological inputs. ``python3 dev.py fuzz
--minutes N`` fuzzes the guard against the configured databases with fresh
seeds for N minutes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
TEST_REQUIREMENTS = ["requirements/test.txt", "requirements/lint.txt"]


def run(*command: object, env: dict[str, str] | None = None) -> None:
    completed = subprocess.run([str(part) for part in command], cwd=ROOT, env=env)
    if completed.returncode:
        sys.exit(completed.returncode)


def drivers() -> list[str]:
    # mysqlclient compiles against the MariaDB client headers, which a machine
    # without MariaDB may lack: install it only when the suite will use it.
    return ["mysqlclient>=2.2"] if os.environ.get("MARIADB_HOST") else []


def install(requirements: list[str]) -> None:
    """Install the package and ``requirements`` into .venv, once per change."""
    if not PYTHON.exists():
        print(f"Creating {VENV} with Python {sys.version.split()[0]}")
        venv.create(VENV, with_pip=True)
    wanted = ["-e", "."]
    for name in requirements:
        wanted += ["-r", name]
    wanted += drivers()
    fingerprint = hashlib.sha256(repr(wanted).encode())
    for name in ["pyproject.toml", *requirements]:
        fingerprint.update((ROOT / name).read_bytes())
    stamp = VENV / f".installed-{fingerprint.hexdigest()[:16]}"
    if not stamp.exists():
        run(
            PYTHON,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *wanted,
        )
        stamp.touch()


def example(args: list[str]) -> None:
    install([])
    manage = ROOT / "example" / "manage.py"
    # Setting up the example writes, even if this shell exports DJANGO_READ_ONLY.
    run(
        PYTHON,
        manage,
        "migrate",
        "--noinput",
        "-v",
        "0",
        env={**os.environ, "DJANGO_READ_ONLY": ""},
    )
    os.execv(PYTHON, [str(PYTHON), str(manage), "shell", "--read-only", *args])


def suite(pytest_args: list[str]) -> None:
    """Run the tests with the current interpreter (also what tox calls)."""
    env = {**os.environ, "PYTHONDEVMODE": "1", "PYTHONWARNINGS": "error"}
    python = sys.executable
    if pytest_args:
        run(python, "-m", "pytest", *pytest_args, env=env)
        return
    for leftover in ROOT.glob(".coverage*"):
        leftover.unlink()
    run(python, "-m", "coverage", "run", "-m", "pytest", env=env)
    run(python, "-m", "coverage", "combine", "--quiet")
    if os.environ.get("POSTGRES_HOST") and os.environ.get("MARIADB_HOST"):
        run(python, "-m", "coverage", "report")
        return
    # The backstop's PostgreSQL and MariaDB code runs only against them.
    run(python, "-m", "coverage", "report", "--fail-under=0")
    print(
        "Coverage must be 100% with every database: set POSTGRES_HOST and "
        "MARIADB_HOST to check it (CI does)."
    )


def test(args: list[str]) -> None:
    install(TEST_REQUIREMENTS)
    if not args:
        run(PYTHON, "-m", "ruff", "check", ".")
        run(PYTHON, "-m", "ruff", "format", "--check", ".")
        run(PYTHON, "-m", "mypy")
    run(PYTHON, __file__, "suite", *args)


BENCHMARKS = {
    "guard": "guard_overhead.py",
    "backstop": "backstop.py",
    "instructions": "instructions.py",
    "sql": "sql_lexing.py",
}


def benchmark(args: list[str]) -> None:
    """``benchmark [guard|backstop|instructions] [options]``: one, or all."""
    install(["requirements/benchmark.txt"])
    names = [args.pop(0)] if args and args[0] in BENCHMARKS else list(BENCHMARKS)
    for name in names:
        run(PYTHON, ROOT / "benchmarks" / BENCHMARKS[name], *args)


def fuzz(args: list[str]) -> None:
    """``fuzz --minutes N``: an unseeded differential search on every database."""
    minutes = args[args.index("--minutes") + 1] if "--minutes" in args else "1"
    install(TEST_REQUIREMENTS)
    env = {**os.environ, "READONLY_SCOPES_FUZZ_MINUTES": minutes}
    run(PYTHON, "-m", "pytest", "tests/test_fuzz.py", "-s", "-q", env=env)


def install_drivers(args: list[str]) -> None:
    if drivers():
        run(sys.executable, "-m", "pip", "install", "--quiet", *drivers())


COMMANDS = {
    "example": example,
    "test": test,
    "suite": suite,
    "benchmark": benchmark,
    "fuzz": fuzz,
    "install-drivers": install_drivers,
}


def main() -> None:
    if sys.version_info < (3, 10):  # noqa: UP036  Say so clearly on an older python3.
        sys.exit("readonly_scopes needs Python 3.10 or newer: run this script with it.")
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(
            f"usage: python3 dev.py {{{','.join(COMMANDS)}}} [arguments]\n\n{__doc__}"
        )
    COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
