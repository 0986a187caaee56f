"""
Read-only mode when the database refuses writes by itself, as deployed: a
real web server on a PostgreSQL hot standby that the test makes and later
promotes, on a database of the shared server with default_transaction_read_only
set, and on a MariaDB server that the test starts --read-only.
"""

from __future__ import annotations

import math
import os
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connections

from tests.conftest import configured_alias
from tests.fleet.servers import (
    PG_BIN,
    MariaDBServer,
    PostgresCluster,
    owned_directory,
    require,
)
from tests.test_live_site import Site
from tests.test_switch_live import until

PERIOD = 2.0


def failover_site(tmp_path: Path, **database: str) -> Site:
    return Site(
        tmp_path,
        DJANGO_SETTINGS_MODULE="tests.fleet.failover_settings",
        READONLY_SCOPES_FAILOVER_PERIOD=str(PERIOD),
        **{
            f"READONLY_SCOPES_FAILOVER_{key.upper()}": value
            for key, value in database.items()
        },
    )


def request(site: Site, name: str | None = None) -> tuple[int, str | None]:
    """POST an item with ``name``, or GET the list: the status and Retry-After."""
    data = None if name is None else urllib.parse.urlencode({"name": name}).encode()
    url = f"http://127.0.0.1:{site.port}/items/"
    try:
        with urllib.request.urlopen(url, data, timeout=60) as response:
            return int(response.status), response.headers["Retry-After"]
    except urllib.error.HTTPError as error:
        return int(error.code), error.headers["Retry-After"]


def follows_the_database(site: Site, make_writable: Callable[[], object]) -> None:
    """Writes answer 503 and reads 200 until the database writes again."""
    # Migrated already: the server is read-only now.
    site.database.touch()
    site.start("wsgi")
    try:
        assert request(site) == (200, None)
        refused = [request(site, f"refused{number}") for number in range(5)]
        assert request(site)[0] == 200
        make_writable()
        writable = time.monotonic()
        until(lambda: request(site, "after")[0] == 200, site.log.read_text(), 30)
        waited = time.monotonic() - writable
    finally:
        site.stop()
    assert {status for status, _ in refused} == {503}, site.log.read_text()
    assert all(0 < int(str(retry)) <= math.ceil(PERIOD) for _, retry in refused)
    # Within the period, with slack for a busy machine.
    assert waited < PERIOD + 2, waited
    log = site.log.read_text()
    assert log.count("refused a write by itself") == 1, log
    assert "accepts writes again: this process leaves the read-only mode" in log
    assert "Internal Server Error" not in log


@pytest.fixture(scope="module")
def postgres_primary() -> Iterator[PostgresCluster]:
    require(PG_BIN / "initdb")
    directory = owned_directory("postgres")
    primary = PostgresCluster(directory / "primary")
    try:
        primary.init_primary()
        primary.start()
        primary.psql("CREATE DATABASE failover")
        yield primary
    finally:
        primary.stop()
        shutil.rmtree(directory, ignore_errors=True)


def test_a_hot_standby_until_promoted(
    tmp_path: Path, postgres_primary: PostgresCluster
) -> None:
    site = failover_site(
        tmp_path,
        engine="django.db.backends.postgresql",
        host="127.0.0.1",
        port=str(postgres_primary.port),
        name="failover",
        user="postgres",
    )
    site.manage("migrate", "--run-syncdb", "-v", "0")
    standby = PostgresCluster(postgres_primary.directory.parent / "standby")
    try:
        standby.init_standby_of(postgres_primary)
        standby.start()
        assert standby.psql("SELECT pg_is_in_recovery()") == "t\n"
        site.env["READONLY_SCOPES_FAILOVER_PORT"] = str(standby.port)
        follows_the_database(site, standby.promote)
        names = standby.psql("SELECT name FROM testapp_item", "failover")
    finally:
        standby.stop()
    assert names == "after\n"
    assert "SQLSTATE 25006" in site.log.read_text()


def test_default_transaction_read_only_set_on_the_database(
    tmp_path: Path, postgresql: str
) -> None:
    shared = connections[postgresql].settings_dict
    server = {
        "host": str(shared["HOST"]),
        "port": str(shared["PORT"]),
        "user": str(shared["USER"]),
        "password": str(shared["PASSWORD"]),
    }
    name = f"rs_failover_{os.getpid()}"
    conninfo = psycopg.conninfo.make_conninfo(dbname="postgres", **server)
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            site = failover_site(
                tmp_path, engine="django.db.backends.postgresql", name=name, **server
            )
            site.manage("migrate", "--run-syncdb", "-v", "0")
            admin.execute(
                f"ALTER DATABASE {name} SET default_transaction_read_only = on"
            )
            follows_the_database(
                site,
                lambda: admin.execute(
                    f"ALTER DATABASE {name} RESET default_transaction_read_only"
                ),
            )
        finally:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def mariadb_server() -> Iterator[MariaDBServer]:
    # Its driver is installed only where MariaDB is configured.
    configured_alias("mariadb")
    require("mariadbd")
    require("mariadb-install-db")
    server = MariaDBServer(owned_directory("mysql"))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.directory, ignore_errors=True)


def test_a_mariadb_server_started_read_only(
    tmp_path: Path, mariadb_server: MariaDBServer
) -> None:
    mariadb_server.sql(
        "CREATE DATABASE failover; "
        "CREATE USER 'site'@'127.0.0.1' IDENTIFIED BY 'site'; "
        "GRANT ALL ON failover.* TO 'site'@'127.0.0.1'"
    )
    # Migrated as root, whose SUPER privilege writes despite --read-only.
    site = failover_site(
        tmp_path,
        engine="django.db.backends.mysql",
        host=str(mariadb_server.socket),
        name="failover",
        user="root",
    )
    site.manage("migrate", "--run-syncdb", "-v", "0")
    site.env.update(
        READONLY_SCOPES_FAILOVER_HOST="127.0.0.1",
        READONLY_SCOPES_FAILOVER_PORT=str(mariadb_server.port),
        READONLY_SCOPES_FAILOVER_USER="site",
        READONLY_SCOPES_FAILOVER_PASSWORD="site",
    )
    # On the tests' own server only: never on a shared one.
    follows_the_database(site, lambda: mariadb_server.sql("SET GLOBAL read_only = 0"))
    assert mariadb_server.sql("SELECT name FROM failover.testapp_item") == "after\n"
    assert "(error 1290)" in site.log.read_text()
