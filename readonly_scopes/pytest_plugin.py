"""
The pytest plugin (registered as ``readonly_scopes``): with pytest-django,
writes are allowed in the test run however DJANGO_READ_ONLY is set, as with
``manage.py test``. It does nothing where Django or this app is not set up.
"""

from __future__ import annotations

import sys

import pytest
from django.apps import apps
from django.conf import settings


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
