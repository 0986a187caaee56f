"""
The pytest plugin (registered as ``readonly_scopes``): with pytest-django,
writes are allowed in the test run however DJANGO_READ_ONLY is set, as with
``manage.py test``; and tests may ask to fail on writes, the whole body with
``@pytest.mark.read_only`` or a block with the ``no_writes`` fixture (both
``readonly_scopes.testing.no_writes()``). It does nothing where Django or this
app is not set up, and says so where a test asks for either.
"""

from __future__ import annotations

import sys
import unittest
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

import pytest
from django.apps import apps
from django.conf import settings

if TYPE_CHECKING:
    from readonly_scopes.testing import NoWrites

MARKER = "read_only"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(using=None): fail the test if its body attempts a database "
        "write (fixtures may write), on every database or those using names; "
        "readonly_scopes.testing.no_writes() around the body.",
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    # pytest-django has set Django up by now, in its pytest_configure.
    if not (
        settings.configured and apps.ready and apps.is_installed("readonly_scopes")
    ):
        return
    # Only now: pytest loads this plugin before Django has its settings.
    from readonly_scopes.test_runs import start_test_run

    line = start_test_run()
    if line is None:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        print(line, file=sys.stderr)
    else:
        reporter.write_line(line)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    # The call phase, so fixtures (pytest-django's database set-up, a test
    # case's setUp) have written already. The test function is replaced, as
    # pytest's --pdb tracing does: pytest calls item.obj, and a unittest test
    # case (run by pytest-django, or any async one) looks the method up on the
    # instance.
    marker = item.get_closest_marker(MARKER)
    if marker is None or not isinstance(item, pytest.Function):
        return (yield)
    if marker.args or set(marker.kwargs) - {"using"}:
        pytest.fail(
            f"@pytest.mark.{MARKER} takes only using= (a database alias or a tuple "
            f"of them): use @pytest.mark.{MARKER} alone, "
            f'@pytest.mark.{MARKER}(using="replica"), or the no_writes fixture for '
            "a block.",
            pytrace=False,
        )
    from readonly_scopes.state import Origin
    from readonly_scopes.testing import NoWrites, watched_aliases

    test = item.obj
    line = item.location[1]
    origin = Origin(str(item.path), (line or 0) + 1, item.name)
    aliases = watched_aliases(marker.kwargs.get("using"))
    item.obj = NoWrites(aliases=aliases).decorate(test, origin)
    instance = item.instance
    attributes = vars(instance) if isinstance(instance, unittest.TestCase) else {}
    attributes[item.name] = item.obj
    try:
        return (yield)
    finally:
        item.obj = test
        # pytest's own unittest support may have removed it already.
        attributes.pop(item.name, None)


@pytest.fixture
def no_writes() -> Callable[[], NoWrites]:
    """``readonly_scopes.testing.no_writes``, for ``with no_writes(): ...``."""
    from readonly_scopes.testing import check_set_up, no_writes

    check_set_up()
    return no_writes
