"""Commands run as a person runs them: piped, or on a real pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_piped(
    command: list[str],
    tmp_path: Path,
    environ: dict[str, str],
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` on the test settings with its own SQLite file."""
    return subprocess.run(
        command,
        input=input,
        stdin=subprocess.DEVNULL if input is None else None,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "READONLY_SCOPES_SQLITE_FILE": str(tmp_path / "piped.sqlite3"),
            "PYTHONPATH": str(REPO),
            **environ,
        },
        timeout=60,
        check=False,
    )


class Terminal:
    def __init__(self, command: list[str], tmp_path: Path, timeout: float = 60) -> None:
        leader, follower = pty.openpty()
        env = {
            **os.environ,
            "READONLY_SCOPES_SQLITE_FILE": str(tmp_path / "tty.sqlite3"),
            "PYTHONPATH": str(REPO),
            "PYTHONSTARTUP": "",
            "TERM": "dumb",
            # IPython's plain input() prompt on a terminal, and its own files.
            "IPY_TEST_SIMPLE_PROMPT": "1",
            "IPYTHONDIR": str(tmp_path / "ipython"),
        }
        self.process = subprocess.Popen(
            command, stdin=follower, stdout=follower, stderr=follower, env=env
        )
        os.close(follower)
        self.leader = leader
        self.deadline = time.monotonic() + timeout

    def read_until(self, marker: str) -> str:
        """What the terminal shows up to and including ``marker``, CRLF as LF."""
        seen = b""
        while marker.encode() not in seen:
            remaining = self.deadline - time.monotonic()
            assert remaining > 0, f"{marker!r} never came; got {seen!r}"
            if select.select([self.leader], [], [], remaining)[0]:
                try:
                    seen += os.read(self.leader, 4096)
                except OSError:  # The command exited.
                    break
        return seen.decode().replace("\r\n", "\n")

    def type(self, line: str) -> None:
        os.write(self.leader, line.encode() + b"\n")

    def close(self) -> int:
        """Wait for the command to exit; its exit status."""
        try:
            return self.process.wait(timeout=max(self.deadline - time.monotonic(), 1))
        finally:
            self.process.kill()
            self.process.wait()
            os.close(self.leader)
