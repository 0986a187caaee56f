"""
What users install: the sdist and the wheel built from it (as pip and build
do), installed into a fresh virtual environment, not the editable checkout the
other tests import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import readonly_scopes

REPO = Path(__file__).resolve().parent.parent
# What a checkout holds that is not source.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv*", ".tox", "build", "dist", "*.egg-info", "__pycache__", ".*cache",
    ".coverage*", "*.sqlite3", "out", "htmlcov", ".hypothesis",
)  # fmt: skip
DATA = [
    "readonly_scopes/py.typed",
    "readonly_scopes/templates/readonly_scopes/503.html",
]

# Runs in the fresh environment: a write refused on a read-only site, answered
# with the 503 page from the installed template.
RENDER = """
import importlib.metadata, sys
import django
from django.conf import settings
from django.db import connection
from django.urls import path

def write(request):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE t (x integer)")

urlpatterns = [path("write/", write)]
settings.configure(
    INSTALLED_APPS=["readonly_scopes"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    MIDDLEWARE=["readonly_scopes.middleware.ReadOnlySiteMiddleware"],
    ROOT_URLCONF="__main__",
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True}],
    ALLOWED_HOSTS=["testserver"],
)
django.setup()
import readonly_scopes
from django.test import Client
from readonly_scopes.switch import SWITCH

SWITCH.turn_on(None)
response = Client().post("/write/", HTTP_ACCEPT="text/html")
print(response.status_code, response["Retry-After"])
print(readonly_scopes.__file__)
print(readonly_scopes.__version__, importlib.metadata.version("readonly_scopes"))
print(sorted(importlib.metadata.metadata("readonly_scopes").get_all("Project-URL")))
print(response.content.decode())
"""


def clean_environment() -> dict[str, str]:
    # pip and build print their own warnings; the suite's -W error is not for them.
    environment = dict(os.environ)
    for name in (
        "PYTHONWARNINGS",
        "PYTHONDEVMODE",
        "PYTHONPATH",
        "DJANGO_SETTINGS_MODULE",
    ):
        environment.pop(name, None)
    return environment


def run(*command: object, cwd: Path) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=clean_environment(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, built from a copy of the checkout."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCE)
    # Like pip: the sdist first, then the wheel from the unpacked sdist.
    run(
        sys.executable,
        "-m",
        "build",
        "--no-isolation",
        "--outdir",
        work / "dist",
        source,
        cwd=work,
    )
    return work / "dist"


def test_the_sdist_has_the_package_data_and_no_partial_test_suite(dist: Path) -> None:
    [sdist] = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert set(DATA) <= names
    assert {"README.md", "CHANGELOG.md", "LICENSE", "pyproject.toml"} <= names
    assert [name for name in names if name.startswith(("tests", "example"))] == []


def test_the_installed_wheel_renders_the_503_page(dist: Path, tmp_path: Path) -> None:
    [wheel] = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert set(DATA) <= set(archive.namelist())
    environment = tmp_path / "env"
    run(sys.executable, "-m", "venv", environment, cwd=tmp_path)
    python = environment / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", wheel, cwd=tmp_path)
    (tmp_path / "render.py").write_text(RENDER)
    # From tmp_path, so that the checkout cannot be imported instead.
    lines = run(python, "-W", "error", "render.py", cwd=tmp_path).splitlines()
    assert lines[0] == "503 60"
    assert lines[1].startswith(str(environment / "lib"))
    assert "site-packages" in lines[1]
    # The metadata's version is the package's own.
    assert lines[2] == f"{readonly_scopes.__version__} {readonly_scopes.__version__}"
    assert "Changelog, https://" in lines[3]
    page = "\n".join(lines[4:])
    assert "<title>Read-only mode</title>" in page
    assert "Please try again in 60 seconds." in page
