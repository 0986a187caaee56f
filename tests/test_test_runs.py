from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management.commands import test as django_test
from django.test import override_settings

from readonly_scopes import writes_allowed
from readonly_scopes.flag import load_flag
from readonly_scopes.management.commands import test
from readonly_scopes.pytest_plugin import pytest_sessionstart
from readonly_scopes.state import FLAG
from readonly_scopes.test_runs import start_test_run
from tests.conftest import configured_alias

LINE = (
    "readonly_scopes: writes are allowed in this test run although {source} "
    "blocks them, since its databases are throwaway; a test gets read-only mode "
    "with readonly_scopes.read_only() or override_settings(DJANGO_READ_ONLY=True)."
)
SETTINGS_MODULE = "DJANGO_SETTINGS_MODULE"
ENVIRONMENT_LINE = LINE.format(source="the DJANGO_READ_ONLY environment variable")

SETTINGS = """\
import os

SECRET_KEY = "tiny"
INSTALLED_APPS = ["readonly_scopes", "django.contrib.contenttypes", "notes"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "tiny.sqlite3",
        "TEST": {{"NAME": "test_tiny.sqlite3"}},
    }},
    "postgresql": {{
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ["POSTGRES_HOST"],
        "PORT": os.environ.get("POSTGRES_PORT", "5432"),
        "USER": os.environ.get("POSTGRES_USER", "postgres"),
        "PASSWORD": os.environ.get("POSTGRES_PASSWORD", ""),
        "NAME": "postgres",
        "TEST": {{"NAME": "{test_database}"}},
    }},
}}
"""
MODELS = """\
from django.db import models


class Note(models.Model):
    text = models.TextField()
"""
DJANGO_TESTS = """\
from django.db import transaction
from django.test import TestCase, override_settings

from notes.models import Note
from readonly_scopes import ReadOnlyError, read_only


class NoteTests(TestCase):
    databases = "__all__"

    def test_writes(self):
        for alias in ("default", "postgresql"):
            Note.objects.using(alias).create(text="written")
            self.assertEqual(Note.objects.using(alias).count(), 1)

    def test_read_only_on_request(self):
        with self.assertRaises(ReadOnlyError), read_only(), transaction.atomic():
            Note.objects.create(text="blocked")
        with override_settings(DJANGO_READ_ONLY=True):
            with self.assertRaises(ReadOnlyError), transaction.atomic():
                Note.objects.create(text="blocked")
        Note.objects.create(text="written after")
"""
PYTEST_TESTS = """\
import pytest
from django.db import transaction

from notes.models import Note
from readonly_scopes import ReadOnlyError, read_only


@pytest.mark.django_db(databases="__all__")
def test_writes():
    for alias in ("default", "postgresql"):
        Note.objects.using(alias).create(text="written")
        assert Note.objects.using(alias).count() == 1


@pytest.mark.django_db
def test_read_only_on_request(settings):
    with pytest.raises(ReadOnlyError), read_only(), transaction.atomic():
        Note.objects.create(text="blocked")
    settings.DJANGO_READ_ONLY = True
    with pytest.raises(ReadOnlyError), transaction.atomic():
        Note.objects.create(text="blocked")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A tiny project with one model and tests for both runners."""
    configured_alias("postgresql")
    test_database = f"test_tiny_{os.getpid()}"
    (tmp_path / "manage.py").write_text(
        textwrap.dedent("""\
            import os, sys
            from django.core.management import execute_from_command_line
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiny_settings")
            execute_from_command_line(sys.argv)
        """)
    )
    (tmp_path / "tiny_settings.py").write_text(
        SETTINGS.format(test_database=test_database)
    )
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "__init__.py").write_text("")
    (notes / "models.py").write_text(MODELS)
    (notes / "tests.py").write_text(DJANGO_TESTS)
    (notes / "test_with_pytest.py").write_text(PYTEST_TESTS)
    return tmp_path


def run(project: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *command],
        cwd=project,
        env={
            **{
                name: value
                for name, value in os.environ.items()
                if name != SETTINGS_MODULE
            },
            "DJANGO_READ_ONLY": "1",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_test_databases_gone(project: Path) -> None:
    assert not (project / "test_tiny.sqlite3").exists()
    with psycopg.connect(
        host=os.environ["POSTGRES_HOST"],
        port=os.environ.get("POSTGRES_PORT", "5432"),
        user=os.environ.get("POSTGRES_USER", "postgres"),
        password=os.environ.get("POSTGRES_PASSWORD", ""),
        dbname="postgres",
    ) as connection:
        found = connection.execute(
            "SELECT count(*) FROM pg_database WHERE datname = %s",
            [f"test_tiny_{os.getpid()}"],
        ).fetchone()
    assert found == (0,)


def test_djangos_runner_writes_and_says_so_once(project: Path) -> None:
    tested = run(project, "manage.py", "test", "notes")
    assert tested.returncode == 0, tested.stderr
    assert tested.stderr.splitlines()[0] == ENVIRONMENT_LINE
    assert tested.stderr.count("readonly_scopes:") == 1
    assert "Ran 2 tests" in tested.stderr
    assert_test_databases_gone(project)


def test_pytest_django_writes_and_says_so_once(project: Path) -> None:
    tested = run(
        project, "-m", "pytest", "-p", "no:cacheprovider", "--ds=tiny_settings"
    )
    assert tested.returncode == 0, tested.stdout
    assert tested.stdout.count(ENVIRONMENT_LINE) == 1
    assert tested.stdout.count("readonly_scopes:") == 1
    assert "2 passed" in tested.stdout
    assert_test_databases_gone(project)


def test_without_the_plugin_pytest_django_is_blocked(project: Path) -> None:
    # What the plugin changes: without it, creating the test database fails.
    tested = run(
        project,
        *("-m", "pytest", "-p", "no:cacheprovider", "-p", "no:readonly_scopes"),
        *("--ds=tiny_settings", "-k", "test_writes"),
    )
    assert tested.returncode != 0
    assert "ReadOnlyError: Write blocked" in tested.stdout


def test_the_setting_is_turned_off_for_the_run_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DJANGO_READ_ONLY", "1")
    with override_settings(DJANGO_READ_ONLY=True):
        assert start_test_run() == LINE.format(source="the DJANGO_READ_ONLY setting")
        assert getattr(settings, "DJANGO_READ_ONLY") is False  # noqa: B009
        assert writes_allowed()
        with override_settings(DJANGO_READ_ONLY=True):
            assert not writes_allowed()
        assert writes_allowed()
    assert os.environ["DJANGO_READ_ONLY"] == ""


def test_a_run_that_may_write_already_says_nothing() -> None:
    assert FLAG.writes_pass
    assert start_test_run() is None


class Session:
    """What the plugin reads of pytest's session."""

    def __init__(self, reporter: object) -> None:
        self.config = self
        self.pluginmanager = self
        self.reporter = reporter

    def get_plugin(self, name: str) -> object:
        assert name == "terminalreporter"
        return self.reporter


class Reporter:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write_line(self, line: str) -> None:
        self.lines.append(line)


def test_the_plugin_writes_the_line_to_the_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reporter = Reporter()
    monkeypatch.setenv("DJANGO_READ_ONLY", "1")
    load_flag()
    pytest_sessionstart(Session(reporter))  # type: ignore[arg-type]
    assert reporter.lines == [ENVIRONMENT_LINE]
    monkeypatch.setenv("DJANGO_READ_ONLY", "1")
    load_flag()
    pytest_sessionstart(Session(None))  # type: ignore[arg-type]
    assert capsys.readouterr().err == ENVIRONMENT_LINE + "\n"
    pytest_sessionstart(Session(reporter))  # type: ignore[arg-type]
    assert reporter.lines == [ENVIRONMENT_LINE]


def test_the_plugin_leaves_projects_without_this_app_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(apps, "is_installed", lambda name: False)
    monkeypatch.setenv("DJANGO_READ_ONLY", "1")
    FLAG.set(True, "the test")
    pytest_sessionstart(Session(Reporter()))  # type: ignore[arg-type]
    assert not FLAG.writes_pass


def test_the_test_command_says_it_before_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[bool] = []
    monkeypatch.setattr(
        django_test.Command,
        "handle",
        lambda self, *labels, **options: ran.append(writes_allowed()),
    )
    monkeypatch.setenv("DJANGO_READ_ONLY", "1")
    load_flag()
    err = StringIO()
    test.Command(stderr=err).handle()
    assert err.getvalue() == ENVIRONMENT_LINE + "\n"
    test.Command(stderr=err).handle()
    assert err.getvalue() == ENVIRONMENT_LINE + "\n"
    assert ran == [True, True]
