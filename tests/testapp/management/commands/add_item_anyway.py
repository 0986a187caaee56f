"""A command that must write whatever the site switch says."""

from __future__ import annotations

from readonly_scopes.integrations.commands import ignores_switch
from tests.testapp.management.commands import add_item


@ignores_switch
class Command(add_item.Command):
    pass
