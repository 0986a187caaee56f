"""
Database servers the failover tests start themselves, on free ports in
directories of their own, and always stop: a PostgreSQL primary with a hot
standby made by pg_basebackup, and a MariaDB server started --read-only.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.test_switch_live import until

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def require(program: Path | str) -> None:
    if shutil.which(str(program)) is None:
        message = f"{program} is not installed: install it to run this test."
        if os.environ.get("READONLY_SCOPES_REQUIRE_BACKENDS"):
            pytest.fail(message)
        pytest.skip(message)  # pragma: no cover


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def as_user(user: str, *command: str | Path) -> list[str]:
    # PostgreSQL refuses to run as root; so does MariaDB without --user.
    prefix = ["runuser", "-u", user, "--"] if os.getuid() == 0 else []
    return [*prefix, *map(str, command)]


def answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
    except OSError:
        return False
    return True


class PostgresCluster:
    """One postgres server of the tests' own: a primary, or a standby of one."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()

    def run(self, *command: str | Path) -> str:
        done = subprocess.run(
            as_user("postgres", *command),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tempfile.gettempdir(),
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def init_primary(self) -> None:
        self.run(
            PG_BIN / "initdb", "-D", self.directory, "--auth=trust", "-U", "postgres",
            "--no-sync", "--no-instructions",
        )  # fmt: skip

    def init_standby_of(self, primary: PostgresCluster) -> None:
        self.run(
            PG_BIN / "pg_basebackup", "-D", self.directory, "-R", "-X", "stream",
            "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "--no-sync", "-c", "fast",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            "-c unix_socket_directories='' -c wal_level=replica -c fsync=off "
            "-c max_wal_senders=4 -c shared_buffers=16MB"
        )
        self.run(
            PG_BIN / "pg_ctl", "-D", self.directory, "-o", options,
            "-l", self.directory / "server.log", "-w", "-t", "60", "start",
        )  # fmt: skip

    def promote(self) -> None:
        self.run(PG_BIN / "pg_ctl", "-D", self.directory, "-w", "promote")

    def psql(self, sql: str, database: str = "postgres") -> str:
        return self.run(
            PG_BIN / "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U",
            "postgres", "-d", database, "-XAtc", sql,
        )  # fmt: skip

    def stop(self) -> None:
        if (self.directory / "postmaster.pid").exists():
            subprocess.run(
                as_user(
                    "postgres", PG_BIN / "pg_ctl", "-D", self.directory, "-m",
                    "immediate", "-w", "stop",
                ),
                capture_output=True,
                timeout=60,
                cwd=tempfile.gettempdir(),
            )  # fmt: skip


def owned_directory(user: str) -> Path:
    """A directory the server's OS user may use (pytest's are root's only)."""
    directory = Path(tempfile.mkdtemp(prefix="readonly_scopes_"))
    shutil.chown(directory, user, user)
    return directory


class MariaDBServer:
    """A mariadbd started --read-only, with a user that has no SUPER privilege."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.socket = directory / "mariadb.sock"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        subprocess.run(
            as_user(
                "mysql", "mariadb-install-db", "--no-defaults",
                f"--datadir={self.data}",
                "--auth-root-authentication-method=socket", "--skip-test-db",
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )  # fmt: skip
        with (self.directory / "server.log").open("wb") as log:
            self.process = subprocess.Popen(
                as_user(
                    "mysql", "mariadbd", "--no-defaults", f"--datadir={self.data}",
                    f"--socket={self.socket}", f"--port={self.port}",
                    "--bind-address=127.0.0.1", "--read-only", "--skip-log-bin",
                    "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M",
                ),
                stdout=log,
                stderr=log,
            )  # fmt: skip
        until(lambda: self.alive() and answers(self.port), "mariadbd did not start")

    def alive(self) -> bool:
        assert self.process is not None
        assert self.process.poll() is None, (self.directory / "server.log").read_text()
        return True

    def sql(self, statement: str) -> str:
        # As root over the socket: its SUPER privilege writes despite --read-only.
        done = subprocess.run(
            ["mariadb", f"--socket={self.socket}", "-u", "root", "-NBe", statement],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(60)
