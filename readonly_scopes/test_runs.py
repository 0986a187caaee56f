"""
Test runs write. ``DJANGO_READ_ONLY`` protects a person's shell on a real
database; the databases of a test run are made for it and thrown away, and
tests create rows. So, as Django's runner sets DEBUG to False whatever the
settings say, a test run (``manage.py test`` or pytest-django) turns
``DJANGO_READ_ONLY`` off, and says so once. A test that checks read-only
behaviour asks for it with ``read_only()`` or ``override_settings``.
"""

from __future__ import annotations

import os

from django.conf import settings

from readonly_scopes.flag import load_flag
from readonly_scopes.state import FLAG


def start_test_run() -> str | None:
    """Allow writes for this test run; the line to show if that changed anything."""
    if FLAG.writes_pass:
        return None
    source = FLAG.source
    # Emptied rather than removed, so that processes the run starts (parallel
    # test workers, commands under test) see it the same way.
    os.environ["DJANGO_READ_ONLY"] = ""
    if getattr(settings, "DJANGO_READ_ONLY", False):
        settings.DJANGO_READ_ONLY = False
    load_flag()
    return (
        f"readonly_scopes: writes are allowed in this test run although "
        f"{source} blocks them, since its databases are throwaway; a test gets "
        "read-only mode with readonly_scopes.read_only() or "
        "override_settings(DJANGO_READ_ONLY=True)."
    )
