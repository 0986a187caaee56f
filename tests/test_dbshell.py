from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from readonly_scopes.db_clients import mysql_read_only, postgresql_read_only
from tests.conftest import beside

REPO = Path(__file__).resolve().parent.parent
DBSHELL = [sys.executable, "-m", "django", "dbshell"]
TABLE = "rs_dbshell"
INSERT = f"INSERT INTO {TABLE} (x) VALUES (1);\n"
# What each database says about the session's mode, and what it says when it
# refuses a write in that mode.
MODE_QUERY = {
    "sqlite": "",
    "postgresql": "SHOW default_transaction_read_only;\n",
    "mysql": "SELECT @@tx_read_only;\n",
}
REFUSAL = {
    "sqlite": "attempt to write a readonly database",
    "postgresql": "cannot execute INSERT in a read-only transaction",
    "mysql": "Cannot execute statement in a READ ONLY transaction",
}
CLIENT = {"sqlite": "sqlite3", "postgresql": "psql", "mysql": "mysql"}

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def table(alias: str) -> Iterator[Any]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} (x integer)")
    yield connection
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {TABLE}")


def rows(connection: Any) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE}")
        return int(cursor.fetchone()[0])


def session_mode(output: str) -> str:
    """The answer to MODE_QUERY: the line after psql's or mysql's column header."""
    lines = [line.strip() for line in output.splitlines()]
    header = next(i for i, line in enumerate(lines) if "read_only" in line)
    return (
        lines[header + 2] if lines[header + 1].startswith("---") else lines[header + 1]
    )


def dbshell(
    connection: Any,
    *args: str,
    sql: str,
    environ: dict[str, str] | None = None,
    settings: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """
    The command as a user runs it, with SQL piped in, on the test database;
    with the test settings, or those of the module ``settings``.
    """
    name = str(connection.settings_dict["NAME"])
    module = "tests.settings" if settings is None else settings.stem
    path = [str(REPO)] if settings is None else [str(settings.parent), str(REPO)]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(path),
        "READONLY_SCOPES_SQLITE_FILE": str(
            connections["default"].settings_dict["NAME"]
        ),
        "POSTGRES_DB": name,
        "MARIADB_DB": name,
        **(environ or {}),
    }
    return subprocess.run(
        [*DBSHELL, f"--settings={module}", "--database", connection.alias, *args],
        input=sql,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "environ"),
    [(["--read-only"], {}), ([], {"DJANGO_READ_ONLY": "1"})],
    ids=["--read-only", "DJANGO_READ_ONLY"],
)
def test_the_client_starts_in_the_databases_read_only_mode(
    table: Any, args: list[str], environ: dict[str, str]
) -> None:
    vendor = table.vendor
    shell = dbshell(table, *args, sql=MODE_QUERY[vendor] + INSERT, environ=environ)
    first_line = shell.stderr.splitlines()[0]
    assert first_line.startswith(
        f"readonly_scopes: database writes are BLOCKED in this {CLIENT[vendor]} session"
    )
    option = "" if table.alias == "default" else f" --database {table.alias}"
    assert first_line.endswith(
        f"For writes, start `manage.py dbshell{option} --writes`."
    )
    assert REFUSAL[vendor] in shell.stderr
    if vendor != "sqlite":
        assert session_mode(shell.stdout) in {"on", "1"}
    assert rows(table) == 0


def test_writes_start_it_writable_even_with_the_environment_variable(
    table: Any,
) -> None:
    vendor = table.vendor
    shell = dbshell(
        table,
        "--writes",
        sql=MODE_QUERY[vendor] + INSERT,
        environ={"DJANGO_READ_ONLY": "1"},
    )
    assert shell.returncode == 0, shell.stderr
    assert shell.stderr == (
        f"readonly_scopes: database writes are ALLOWED in this {CLIENT[vendor]} "
        "session (--writes).\n"
    )
    if vendor != "sqlite":
        assert session_mode(shell.stdout) in {"off", "0"}
    assert rows(table) == 1


def test_without_a_flag_or_the_variable_it_is_djangos_dbshell(table: Any) -> None:
    shell = dbshell(table, sql=INSERT, environ={"DJANGO_READ_ONLY": ""})
    assert shell.returncode == 0, shell.stderr
    assert shell.stderr == ""
    assert rows(table) == 1


def test_read_only_and_writes_exclude_each_other() -> None:
    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command("dbshell", "--read-only", "--writes")


def test_other_databases_are_refused_rather_than_opened_writable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(connections["default"], "vendor", "oracle")
    with pytest.raises(CommandError, match=r"'default' \(oracle\) read-only"):
        call_command("dbshell", "--read-only")


def test_a_missing_client_is_reported_and_the_plain_client_comes_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = connections["default"].client
    monkeypatch.setattr(type(plain), "executable_name", "no-such-sqlite3-client")
    with pytest.raises(CommandError, match="'no-such-sqlite3-client' program"):
        call_command("dbshell", "--read-only")
    assert connections["default"].client is plain


def test_the_users_pgoptions_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGOPTIONS", "-c search_path=app")
    assert postgresql_read_only(["psql"], {}) == (
        ["psql"],
        {"PGOPTIONS": "-c search_path=app -c default_transaction_read_only=on"},
    )


def test_the_mysql_defaults_file_stays_first() -> None:
    init = "--init-command=SET SESSION TRANSACTION READ ONLY"
    args, _ = mysql_read_only(["mysql", "--defaults-file=my.cnf", "db"], {})
    assert args == ["mysql", "--defaults-file=my.cnf", init, "db"]
    args, _ = mysql_read_only(["mysql", "--user=u", "db"], {})
    assert args == ["mysql", init, "--user=u", "db"]


@pytest.mark.parametrize(
    ("args", "said"),
    [(["--writes"], "database writes are ALLOWED in this"), ([], "")],
)
def test_writable_starts_run_djangos_client_unchanged(
    monkeypatch: pytest.MonkeyPatch, args: list[str], said: str
) -> None:
    plain = connections["default"].client
    monkeypatch.setattr(type(plain), "executable_name", "no-such-sqlite3-client")
    err = StringIO()
    with pytest.raises(CommandError, match="'no-such-sqlite3-client' program"):
        call_command("dbshell", *args, stderr=err)
    assert said in err.getvalue()
    assert bool(said) == bool(err.getvalue())


def test_the_real_sqlite3_refuses_a_statement_given_as_a_parameter() -> None:
    # sqlite3 exits with the error code: 8 is SQLITE_READONLY.
    with pytest.raises(CommandError, match="returned non-zero exit status 8"):
        call_command(
            "dbshell", "--read-only", "--", "CREATE TABLE never_made (x integer)"
        )
    assert "never_made" not in connections["default"].introspection.table_names()


@pytest.mark.parametrize("named", [True, False], ids=["named", "another"])
def test_it_follows_the_flag_of_the_database_it_opens(
    table: Any, tmp_path: Path, named: bool
) -> None:
    listed = table.alias if named else beside(table.alias)
    settings = tmp_path / "per_database_settings.py"
    settings.write_text(
        f"from tests.settings import *  # noqa: F403\nDJANGO_READ_ONLY = [{listed!r}]\n"
    )
    shell = dbshell(
        table, sql=INSERT, environ={"DJANGO_READ_ONLY": ""}, settings=settings
    )
    blocked = "readonly_scopes: database writes are BLOCKED in this"
    assert shell.stderr.startswith(blocked) is named, shell.stderr
    assert rows(table) == (0 if named else 1)
