from __future__ import annotations

import sys
import traceback
from types import TracebackType

import django
import pytest
from django.db import connection

from readonly_scopes import ReadOnlyError, read_only
from readonly_scopes.tracebacks import (
    short_errors_in_console,
    short_report,
    written_by_user,
)


def blocked_write() -> tuple[ReadOnlyError, TracebackType | None]:
    with read_only(), pytest.raises(ReadOnlyError) as caught:
        connection.cursor().execute("CREATE TABLE never_made (x integer)")
    return caught.value, caught.tb


@pytest.mark.django_db
def test_the_report_names_the_users_line_and_hides_djangos() -> None:
    error, tb = blocked_write()
    report = short_report(error, tb, "the command").splitlines()
    line = blocked_write.__code__.co_firstlineno + 2
    assert report[0] == f'  File "{__file__}", line {line}, in blocked_write'
    assert report[1] == (
        '    connection.cursor().execute("CREATE TABLE never_made (x integer)")'
    )
    assert report[2] == f"ReadOnlyError: {str(error).splitlines()[0]}"
    assert report[-1] == (
        "(Django's part of the traceback is hidden; see it all with `the command`.)"
    )
    assert len(report) == 2 + len(str(error).splitlines()) + 1


def test_without_user_code_only_the_message_is_shown() -> None:
    report = short_report(ReadOnlyError("Write blocked"), None, "%tb")
    assert report == (
        "ReadOnlyError: Write blocked\n"
        "(Django's part of the traceback is hidden; see it all with `%tb`.)\n"
    )


@pytest.mark.parametrize(
    ("filename", "users"),
    [
        ("<console>", True),
        ("<ipython-input-3-0123456789ab>", True),
        ("<string>", True),
        ("<frozen importlib._bootstrap>", False),
        (django.__file__, False),
        (traceback.__file__, False),
        (__file__, True),
    ],
)
def test_whose_code_a_frame_is(filename: str, users: bool) -> None:
    assert written_by_user(traceback.FrameSummary(filename, 1, "f")) is users


@pytest.mark.django_db
def test_the_console_hook_reports_blocked_writes_and_passes_on_the_rest(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    passed_on: list[BaseException] = []
    monkeypatch.setattr(
        sys, "excepthook", lambda kind, error, tb: passed_on.append(error)
    )
    previous = sys.excepthook
    error, tb = blocked_write()
    other = ZeroDivisionError("division by zero")
    with short_errors_in_console():
        sys.excepthook(ReadOnlyError, error, tb)
        sys.excepthook(ZeroDivisionError, other, None)
    assert sys.excepthook is previous
    assert passed_on == [other]
    assert capsys.readouterr().err == short_report(
        error, tb, "import sys, traceback; traceback.print_exception(sys.last_value)"
    )


def test_the_console_hook_is_removed_when_the_console_fails() -> None:
    previous = sys.excepthook
    with pytest.raises(RuntimeError), short_errors_in_console():
        raise RuntimeError
    assert sys.excepthook is previous
