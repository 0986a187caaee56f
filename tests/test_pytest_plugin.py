"""
The pytest plugin's ``read_only`` marker and ``no_writes`` fixture, and
``NoWritesMixin`` under both runners. The first tests run here, so that
coverage sees the plugin's code; the last run pytest-django and Django's
runner in subprocesses on a tiny project, as a user's suite would.
"""

from __future__ import annotations

import re
import sys
import textwrap
import unittest

import pytest
from django.apps import apps
from django.test import TestCase

from readonly_scopes import writes_allowed
from tests.testapp.models import Item

INNER = """\
from contextlib import suppress

import pytest

from readonly_scopes import ReadOnlyError
from tests.testapp.models import Item


@pytest.mark.read_only
def test_marked_reads():
    assert Item.objects.count() == 0


@pytest.mark.read_only
def test_marked_writes():
    Item.objects.create(name="new")


@pytest.mark.read_only
def test_marked_swallows_a_write():
    with suppress(ReadOnlyError):
        Item.objects.create(name="new")


def test_fixture_writes(no_writes):
    with no_writes():
        Item.objects.create(name="new")


@pytest.mark.read_only("default")
def test_marked_with_arguments():
    pass


@pytest.mark.read_only(using="default")
def test_marked_for_one_database_writes():
    Item.objects.create(name="new")


@pytest.mark.read_only(using="replcia")
def test_marked_for_no_such_database():
    pass
"""


def outcomes(output: list[str]) -> dict[str, str]:
    """Each test's outcome, from the summary ``-rA`` prints."""
    found = {}
    for line in output:
        match = re.match(r"(PASSED|FAILED|ERROR) \S+::(\S+)", line)
        if match:
            found[match[2]] = match[1].lower()
    return found


@pytest.fixture
def written() -> Item:
    return Item.objects.create(name="by a fixture")


@pytest.mark.read_only
@pytest.mark.django_db
def test_a_marked_body_cannot_write_but_its_fixtures_did(written: Item) -> None:
    assert not writes_allowed()
    assert Item.objects.get() == written


class MarkedTestCase(TestCase):
    def setUp(self) -> None:
        self.item = Item.objects.create(name="by setUp")

    @pytest.mark.read_only
    def test_a_marked_test_method_cannot_write_but_setup_did(self) -> None:
        assert not writes_allowed()
        assert Item.objects.get() == self.item

    def tearDown(self) -> None:
        assert writes_allowed()


class MarkedUnittestCase(unittest.TestCase):
    # Run by pytest's own unittest support, not pytest-django's.
    @pytest.mark.read_only
    def test_a_marked_unittest_method_runs_inside(self) -> None:
        assert not writes_allowed()


class MarkedAsyncTestCase(unittest.IsolatedAsyncioTestCase):
    @pytest.mark.read_only
    async def test_a_marked_coroutine_method_runs_inside(self) -> None:
        assert not writes_allowed()


def run_inside(pytester: pytest.Pytester, *args: str) -> dict[str, pytest.TestReport]:
    """
    Run INNER in this process (pytest-django stays this session's), for
    coverage; each test's report: its call, or the phase that failed.
    """
    pytester.makepyfile(test_inner=INNER)
    recorder = pytester.inline_run(
        *("-p", "no:django", "-p", "no:cacheprovider", "-p", "no:hypothesispytest"),
        *("--strict-markers", "--tb=short", *args),
    )
    reports: dict[str, pytest.TestReport] = {}
    for report in recorder.getreports("pytest_runtest_logreport"):
        if report.when == "call" or report.failed:
            reports.setdefault(report.nodeid.rpartition("::")[2], report)
    return reports


@pytest.mark.django_db(transaction=True)
def test_marker_and_fixture_fail_on_writes(pytester: pytest.Pytester) -> None:
    reports = run_inside(pytester)
    assert {name: report.outcome for name, report in reports.items()} == {
        "test_marked_reads": "passed",
        "test_marked_writes": "failed",
        "test_marked_swallows_a_write": "failed",
        "test_fixture_writes": "failed",
        "test_marked_with_arguments": "failed",
        "test_marked_for_one_database_writes": "failed",
        "test_marked_for_no_such_database": "failed",
    }
    assert {report.when for report in reports.values()} == {"call"}
    inner = pytester.path / "test_inner.py"
    for name, entered in [
        ("test_marked_writes", f"{inner}:14 in test_marked_writes()"),
        (
            "test_marked_swallows_a_write",
            f"{inner}:19 in test_marked_swallows_a_write()",
        ),
        ("test_fixture_writes", f"{inner}:26 in test_fixture_writes()"),
    ]:
        text = reports[name].longreprtext
        failure = "AssertionError: 1 write attempted inside no_writes() entered at"
        assert f"{failure} {entered}:\n" in text
        assert "- on database 'default': INSERT INTO \"testapp_item\"" in text
    assert "@pytest.mark.read_only takes only using=" in (
        reports["test_marked_with_arguments"].longreprtext
    )
    # Entered at the marker, the line above the function's (0-based index).
    marker = INNER.splitlines().index("def test_marked_for_one_database_writes():")
    assert (
        "1 write attempted inside no_writes(using='default') entered at "
        f"{inner}:{marker} in test_marked_for_one_database_writes():\n"
    ) in reports["test_marked_for_one_database_writes"].longreprtext
    assert "no_writes() got using='replcia'" in (
        reports["test_marked_for_no_such_database"].longreprtext
    )
    assert Item.objects.count() == 0
    assert writes_allowed()


@pytest.mark.django_db(transaction=True)
def test_the_fixture_says_what_is_missing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apps, "is_installed", lambda name: name != "readonly_scopes")
    reports = run_inside(pytester, "-k", "fixture")
    [(name, report)] = reports.items()
    assert (name, report.when, report.outcome) == (
        "test_fixture_writes",
        "setup",
        "failed",
    )
    assert "needs Django set up with 'readonly_scopes' in INSTALLED_APPS" in (
        report.longreprtext
    )


SETTINGS = """\
SECRET_KEY = "tiny"
INSTALLED_APPS = ["readonly_scopes", "django.contrib.contenttypes", "notes"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
"""
MODELS = """\
from django.db import models


class Note(models.Model):
    text = models.TextField()
"""
# Run by Django's runner and by pytest.
MIXIN_TESTS = """\
from contextlib import suppress

from django.db import transaction
from django.test import TestCase

from notes.models import Note
from readonly_scopes import ReadOnlyError
from readonly_scopes.testing import NoWritesMixin


class NoteTests(NoWritesMixin, TestCase):
    def setUp(self):
        Note.objects.create(text="by setUp")

    def test_mixin_reads(self):
        with self.assertNoWrites():
            self.assertEqual(Note.objects.count(), 1)

    def test_mixin_writes(self):
        with self.assertNoWrites():
            Note.objects.create(text="written")

    def test_mixin_swallows_a_write(self):
        with self.assertNoWrites():
            with suppress(ReadOnlyError), transaction.atomic():
                Note.objects.create(text="written")
"""
PYTEST_TESTS = """\
from contextlib import suppress

import pytest
from django.test import TestCase

from notes.models import Note
from readonly_scopes import ReadOnlyError


@pytest.fixture
def note(db):
    return Note.objects.create(text="by a fixture")


@pytest.mark.read_only
def test_marked_reads(note):
    assert Note.objects.get().text == "by a fixture"


@pytest.mark.read_only
def test_marked_writes(note):
    note.text = "changed"
    note.save()


@pytest.mark.read_only
@pytest.mark.django_db
def test_marked_swallows_a_write():
    with suppress(ReadOnlyError):
        Note.objects.create(text="written")


def test_fixture_reads(db, no_writes):
    with no_writes():
        assert Note.objects.count() == 0
    Note.objects.create(text="after the block")


def test_fixture_writes(db, no_writes):
    with no_writes():
        Note.objects.create(text="written")


class MarkedTests(TestCase):
    def setUp(self):
        Note.objects.create(text="by setUp")

    @pytest.mark.read_only
    def test_marked_method_reads(self):
        self.assertEqual(Note.objects.count(), 1)

    @pytest.mark.read_only
    def test_marked_method_writes(self):
        Note.objects.all().delete()
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A tiny project, its tests for pytest-django and Django's runner."""
    pytester.makepyfile(tiny_settings=SETTINGS)
    pytester.mkpydir("notes")
    pytester.makepyfile(
        **{
            "notes/models": MODELS,
            "notes/tests": MIXIN_TESTS,
            "notes/test_marked": PYTEST_TESTS,
        }
    )
    pytester.makeini(
        textwrap.dedent("""\
            [pytest]
            addopts = -p no:cacheprovider -p no:hypothesispytest --ds=tiny_settings
            django_find_project = false
            python_files = tests.py test_*.py
        """)
    )
    return pytester


def test_under_pytest_django(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--strict-markers", "-rA")
    assert outcomes(result.outlines) == {
        "test_mixin_reads": "passed",
        "test_mixin_writes": "failed",
        "test_mixin_swallows_a_write": "failed",
        "test_marked_reads": "passed",
        "test_marked_writes": "failed",
        "test_marked_swallows_a_write": "failed",
        "test_fixture_reads": "passed",
        "test_fixture_writes": "failed",
        "test_marked_method_reads": "passed",
        "test_marked_method_writes": "failed",
    }
    result.assert_outcomes(passed=4, failed=6)
    output = result.stdout.str()
    assert output.count("E       AssertionError: 1 write attempted inside") == 6
    assert output.count("E       - on database 'default': INSERT INTO") == 4
    assert output.count("E       - on database 'default': UPDATE \"notes_note\"") == 1
    assert output.count("E       - on database 'default': DELETE FROM") == 1


def test_without_the_plugin_the_marker_is_unknown(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(
        "-p", "no:readonly_scopes", "--strict-markers", "notes/test_marked.py"
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*'read_only' not found in `markers`*"])


def test_the_mixin_under_djangos_runner(project: pytest.Pytester) -> None:
    result = project.run(
        *(sys.executable, "-m", "django", "test", "notes.tests"),
        *("--settings=tiny_settings", "-v", "2"),
        timeout=120,
    )
    errors = result.stderr.str()
    assert result.ret == 1, errors
    assert "FAILED (failures=2)" in errors
    assert "ERROR:" not in errors
    assert re.search(
        r"test_mixin_reads \(notes\.tests\.NoteTests.*\) \.\.\. ok", errors
    )
    for test in ("test_mixin_writes", "test_mixin_swallows_a_write"):
        assert f"FAIL: {test} (notes.tests.NoteTests" in errors
    assert errors.count("AssertionError: 1 write attempted inside no_writes()") == 2
    assert errors.count("- on database 'default': INSERT INTO \"notes_note\"") == 2
