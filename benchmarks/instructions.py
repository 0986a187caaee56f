"""
Instructions (counted by callgrind) for entering and leaving a scope, beside
django-read-only's temp_writes(), and for the live-site middleware per
request, beside no middleware.

The script runs itself under ``valgrind --tool=callgrind``, which collects
only inside ``operator.call`` (a C function nothing else here calls) and
writes one profile after each call. Each case is a loop called that way with
N and with 2N iterations, after a warm-up; its cost per iteration is the
difference divided by N, less the same figure for the loop without the thing
measured. Instruction counts do not move with the load of the machine.

* scopes: ``with``, ``async with`` (a coroutine driven by hand, no event
  loop) and a call of a decorated function, for temp_writes() and
  read_only(); django-read-only has only a temp_writes() that works as
  ``with`` and as a decorator.
* middleware: a request through Django's WSGI handler to a view that runs
  ``SELECT 1`` on SQLite in memory, with no middleware, and with
  ReadOnlySiteMiddleware and the switch off and on.

    python3 dev.py benchmark instructions

Needs valgrind (``apt-get install valgrind``) and Python 3.11 or newer.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import operator
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Hash randomisation changes dict layouts, and so counts, from run to run.
ENVIRONMENT = {"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
Loop = Callable[[int], Callable[[], None]]
MIDDLEWARE = "readonly_scopes.middleware.ReadOnlySiteMiddleware"


def measure_inside(iterations: int, parts: list[str]) -> None:
    """
    Under callgrind: run each case's loop with N and 2N iterations, each in
    its own operator.call; print each case's name and N, in that order.
    """
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    settings.configure(
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
        },
        INSTALLED_APPS=["readonly_scopes"],
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["*"],
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        },
        # The switch is read once per interval; a run under callgrind is slow
        # enough that 5 s would pass within a loop.
        DJANGO_READ_ONLY_CACHE_REFRESH=3600,
        USE_TZ=True,
    )
    django.setup()
    cases: list[tuple[str, Loop, int]] = []
    if "scopes" in parts:
        cases += [(name, loop, iterations) for name, loop in scope_cases().items()]
    if "middleware" in parts:
        # A request costs fifty scopes: fewer of them measure as precisely.
        cases += [
            (name, loop, max(1, iterations // 10))
            for name, loop in middleware_cases().items()
        ]
    for _, loop, count in cases:
        loop(count // 10 or 1)()  # Warm up: caches, specialisation.
        operator.call(loop(count))
        operator.call(loop(2 * count))
    print(json.dumps([(name, count) for name, _, count in cases]))


def repeat(body: Callable[[], object]) -> Loop:
    def loop(count: int) -> Callable[[], None]:
        def run() -> None:
            for _ in range(count):
                body()

        return run

    return loop


def drive(make: Callable[[int], Coroutine[Any, Any, None]]) -> Loop:
    """A loop inside one coroutine, run to its end without an event loop."""

    def loop(count: int) -> Callable[[], None]:
        def run() -> None:
            with contextlib.suppress(StopIteration):
                make(count).send(None)

        return run

    return loop


def scope_cases() -> dict[str, Loop]:
    import django_read_only

    from readonly_scopes import read_only, temp_writes

    def with_loop(scope: Callable[[], Any] | None) -> Loop:
        """A loop of with blocks; with None, the same loop without them."""

        def loop(count: int) -> Callable[[], None]:
            def run() -> None:
                for _ in range(count):
                    with scope():  # type: ignore[misc]
                        pass

            def bare() -> None:
                for _ in range(count):
                    pass

            return bare if scope is None else run

        return loop

    def async_with(scope: Callable[[], Any] | None) -> Loop:
        async def many(count: int) -> None:
            for _ in range(count):
                async with scope():  # type: ignore[misc]
                    pass

        async def bare(count: int) -> None:
            for _ in range(count):
                pass

        return drive(bare if scope is None else many)

    def plain() -> None:
        pass

    async def plain_async() -> None:
        pass

    def awaiting(function: Callable[[], Coroutine[Any, Any, None]]) -> Loop:
        async def many(count: int) -> None:
            for _ in range(count):
                await function()

        return drive(many)

    return {
        "loop": with_loop(None),
        "with: drf": with_loop(django_read_only.temp_writes),
        "with: temp_writes()": with_loop(temp_writes),
        "with: read_only()": with_loop(read_only),
        "coroutine loop": async_with(None),
        "async with: temp_writes()": async_with(temp_writes),
        "async with: read_only()": async_with(read_only),
        "call": repeat(plain),
        "decorated: drf": repeat(django_read_only.temp_writes()(plain)),
        "decorated: temp_writes": repeat(temp_writes(plain)),
        "decorated: read_only": repeat(read_only(plain)),
        "await": awaiting(plain_async),
        "decorated async: temp_writes": awaiting(temp_writes(plain_async)),
        "decorated async: read_only": awaiting(read_only(plain_async)),
    }


def select_one(request: Any) -> Any:
    from django.db import connection
    from django.http import HttpResponse

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok")


def middleware_cases() -> dict[str, Loop]:
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings
    from django.urls import path

    from readonly_scopes.switch import SWITCH

    globals()["urlpatterns"] = [path("select/", select_one)]

    def handler(middleware: list[str]) -> WSGIHandler:
        with override_settings(MIDDLEWARE=middleware):
            return WSGIHandler()

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        assert status.startswith("200"), status

    def requests(wsgi: WSGIHandler, switch_on: bool) -> Loop:
        def request() -> None:
            environ = {
                "REQUEST_METHOD": "GET",
                "PATH_INFO": "/select/",
                "SERVER_NAME": "bench",
                "SERVER_PORT": "80",
                "wsgi.input": io.BytesIO(),
                "wsgi.url_scheme": "http",
            }
            response = wsgi(environ, start_response)
            b"".join(response)
            response.close()

        def loop(count: int) -> Callable[[], None]:
            if switch_on:
                SWITCH.turn_on(None)
            else:
                SWITCH.turn_off()
            run: Callable[[], None] = repeat(request)(count)
            return run

        return loop

    none, ours = handler([]), handler([MIDDLEWARE])
    return {
        "request: no middleware": requests(none, False),
        "request: middleware, switch off": requests(ours, False),
        "request: middleware, switch on": requests(ours, True),
    }


def run_callgrind(iterations: int, parts: list[str]) -> dict[str, float]:
    """Instructions per iteration of each case."""
    if shutil.which("valgrind") is None:
        sys.exit(
            "This benchmark counts instructions with valgrind: install it "
            "(apt-get install valgrind) and run it again."
        )
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "callgrind.out"
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--collect-atstart=no",
                "--toggle-collect=_operator_call",
                "--dump-after=_operator_call",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--inside",
                str(iterations),
                *parts,
            ],
            env={**os.environ, **ENVIRONMENT},
            capture_output=True,
            text=True,
        )
        if done.returncode:
            sys.exit(f"The measured run failed:\n{done.stdout}\n{done.stderr}")
        cases = json.loads(done.stdout.strip().splitlines()[-1])
        totals = [
            dump_total(Path(f"{out}.{number}"))
            for number in range(1, 2 * len(cases) + 1)
        ]
    if not any(totals):
        sys.exit(
            "callgrind counted nothing inside operator.call: this Python's "
            "symbols are stripped. Use a Python built with symbols."
        )
    return {
        name: (totals[2 * index + 1] - totals[2 * index]) / count
        for index, (name, count) in enumerate(cases)
    }


def dump_total(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise ValueError(f"no totals in {path}")


SCOPE_ROWS = [
    # (form, scope, case, baseline, django-read-only's case in that form)
    ("with", "django-read-only temp_writes()", "with: drf", "loop", "with: drf"),
    ("with", "temp_writes()", "with: temp_writes()", "loop", "with: drf"),
    ("with", "read_only()", "with: read_only()", "loop", "with: drf"),
    (
        "async with",
        "temp_writes()",
        "async with: temp_writes()",
        "coroutine loop",
        "with: drf",
    ),
    (
        "async with",
        "read_only()",
        "async with: read_only()",
        "coroutine loop",
        "with: drf",
    ),
    (
        "decorated call",
        "django-read-only @temp_writes()",
        "decorated: drf",
        "call",
        "decorated: drf",
    ),
    (
        "decorated call",
        "@temp_writes",
        "decorated: temp_writes",
        "call",
        "decorated: drf",
    ),
    ("decorated call", "@read_only", "decorated: read_only", "call", "decorated: drf"),
    (
        "decorated await",
        "@temp_writes",
        "decorated async: temp_writes",
        "await",
        "decorated: drf",
    ),
    (
        "decorated await",
        "@read_only",
        "decorated async: read_only",
        "await",
        "decorated: drf",
    ),
]


def report_scopes(counts: dict[str, float]) -> list[tuple[str, bool]]:
    def net(case: str, baseline: str) -> float:
        return counts[case] - counts[baseline]

    print(f"{'scope enter+exit':16} {'scope':32} {'instructions':>12} {'ratio':>6}")
    for form, scope, case, baseline, reference_case in SCOPE_ROWS:
        cost = net(case, baseline)
        reference = net(
            reference_case, "call" if reference_case.startswith("decorated") else "loop"
        )
        print(f"{form:16} {scope:32} {cost:12,.0f} {cost / reference:6.2f}")
    print(
        "ratio: to django-read-only's temp_writes() in the same form (for\n"
        "async with, to its `with`: it has no async form); less the loop, call\n"
        "or await without a scope\n"
    )
    theirs = net("with: drf", "loop")
    ours = max(net("with: temp_writes()", "loop"), net("with: read_only()", "loop"))
    return [
        (
            (
                f"with: both scopes at most django-read-only's ({ours:,.0f} <= "
                f"{theirs:,.0f})"
            ),
            ours <= theirs,
        )
    ]


def report_middleware(counts: dict[str, float]) -> list[tuple[str, bool]]:
    plain = counts["request: no middleware"]
    off = counts["request: middleware, switch off"]
    on = counts["request: middleware, switch on"]
    print(f"{'request, view runs SELECT 1':32} {'instructions':>12} {'ratio':>6}")
    for label, cost in (
        ("no middleware", plain),
        ("middleware, switch off", off),
        ("middleware, switch on", on),
    ):
        print(f"{label:32} {cost:12,.0f} {cost / plain:6.3f}")
    print()
    return [
        (f"middleware, switch off: {off / plain:.3f} <= 1.02", off / plain <= 1.02),
        (f"middleware, switch on: {on / plain:.3f} <= 1.10", on / plain <= 1.10),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "parts", nargs="*", choices=[[], "scopes", "middleware"], default=[]
    )
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--inside", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    parts = args.parts or ["scopes", "middleware"]
    if args.inside is not None:
        measure_inside(args.inside, parts)
        return 0
    if sys.version_info < (3, 11):
        sys.exit("This benchmark needs Python 3.11 or newer (operator.call).")
    counts = run_callgrind(args.iterations, parts)
    print(
        f"Python {sys.version.split()[0]}; instructions per iteration, counted by "
        f"callgrind over {args.iterations} iterations per scope case and "
        f"{max(1, args.iterations // 10)} per request\n"
    )
    checks = []
    if "scopes" in parts:
        checks += report_scopes(counts)
    if "middleware" in parts:
        checks += report_middleware(counts)
    for description, passed in checks:
        print(f"{'OK    ' if passed else 'MISSED'} {description}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
