"""A Redis server of the fleet tests' own, for the switch and the Celery broker."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_live_site import Site
from tests.test_switch_live import RedisServer, free_port_in

# Away from the shared Redis (6379) and the switch tests' servers (6391-6399).
PORTS = range(6381, 6390)


class FleetRedis(RedisServer):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.port = free_port_in(PORTS)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def database(self, number: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{number}"


@pytest.fixture(scope="module")
def fleet_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FleetRedis]:
    if shutil.which("redis-server") is None:  # pragma: no cover
        pytest.fail("redis-server is not on PATH: install Redis to run this test.")
    server = FleetRedis(tmp_path_factory.mktemp("fleet") / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def fleet_site(tmp_path: Path, server: FleetRedis, number: int, **env: str) -> Site:
    """A migrated site whose processes follow the switch in Redis ``number``."""
    site = Site(
        tmp_path,
        DJANGO_SETTINGS_MODULE="tests.fleet.settings",
        READONLY_SCOPES_LIVE_REDIS=server.database(number),
        READONLY_SCOPES_LIVE_PREFIX=tmp_path.name,
        **env,
    )
    site.manage("migrate", "--run-syncdb", "-v", "0")
    return site
