"""
Django's admin as view-only while the site is read-only.

For a request the live-site middleware did not exempt while the site is
read-only, every ModelAdmin and inline of every AdminSite says no to add,
change and delete, and offers only the actions that declare they merely view.
Django's admin then does the rest as it does for a user with view permission
alone: no add, save or delete buttons, links or bulk actions, no list_editable
formset, change forms and inlines shown read-only, and PermissionDenied (403)
for a POST to an add, change or delete URL, before any form is bound.

Hooked per instance, not per class: a ModelAdmin that overrides
``has_change_permission`` is wrapped as well as one that inherits it. Inlines
are made per request, and ModelAdmins may be registered after this app is
ready (autodiscover runs later when ``readonly_scopes`` is listed first), so
``BaseModelAdmin.__init__`` wraps each instance it makes; the ones made before
are found in the sites' registries.

Importing this module imports nothing of Django's admin: projects without it
do not pay for it, and its models need not be installed. The admin's
autodiscover imports it too, as every app's ``admin`` module; it registers
nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.apps import apps

from readonly_scopes.conf import CONF
from readonly_scopes.middleware import ATTRIBUTE, site_read_only

if TYPE_CHECKING:
    from django.http import HttpRequest

# Set on each wrapped instance, and on the wrapping __init__, so that wrapping
# twice (install() again, an instance found in two registries) does nothing.
MARK = "_readonly_scopes_view_only"
REFUSED = ("has_add_permission", "has_change_permission", "has_delete_permission")

Permission = Callable[..., bool]
Actions = dict[str, Any]


def view_only(request: HttpRequest | None) -> bool:
    """Whether the admin may only show things to this request."""
    if not CONF.admin_view_only:
        return False
    # Django calls some permission methods without a request (request=None).
    mode = getattr(request, ATTRIBUTE, None)
    return mode is not None and mode.exempt is None and site_read_only(mode.state)


def refused_while_view_only(permission: Permission) -> Permission:
    @functools.wraps(permission)
    def check(request: HttpRequest | None, *args: Any, **kwargs: Any) -> bool:
        return not view_only(request) and permission(request, *args, **kwargs)

    return check


def viewable_while_view_only(view: Permission, change: Permission) -> Permission:
    """
    What a request could change it may still see: a ModelAdmin that grants
    change by overriding ``has_change_permission`` (and not view) would
    otherwise vanish from the admin instead of turning view-only.
    """

    @functools.wraps(view)
    def check(request: HttpRequest | None, *args: Any, **kwargs: Any) -> bool:
        if view(request, *args, **kwargs):
            return True
        return view_only(request) and change(request, *args, **kwargs)

    return check


def only_views(action: Callable[..., Any]) -> bool:
    """
    An action that declares it needs view permission alone (an export, say).
    Any other action may write, including one that declares nothing.
    """
    permissions = getattr(action, "allowed_permissions", ())
    return bool(permissions) and all(name == "view" for name in permissions)


def view_actions_while_view_only(
    get_actions: Callable[..., Actions],
) -> Callable[..., Actions]:
    # Arguments passed through: Django 6.1 passes action_location, which it
    # finds in the signature that functools.wraps keeps.
    @functools.wraps(get_actions)
    def actions(request: HttpRequest, *args: Any, **kwargs: Any) -> Actions:
        found = get_actions(request, *args, **kwargs)
        if not view_only(request):
            return found
        return {
            name: action
            for name, action in found.items()
            if only_views(function_of(action))
        }

    return actions


def function_of(action: Any) -> Callable[..., Any]:
    # An Action from Django 6.1 on, whose indexing is deprecated; a tuple
    # (function, name, description) before.
    return getattr(action, "func", None) or action[0]  # type: ignore[no-any-return]


def make_view_only(model_admin: Any) -> None:
    """Wrap one ModelAdmin or inline instance, once."""
    if vars(model_admin).get(MARK):
        return
    change = model_admin.has_change_permission
    for name in REFUSED:
        setattr(model_admin, name, refused_while_view_only(getattr(model_admin, name)))
    model_admin.has_view_permission = viewable_while_view_only(
        model_admin.has_view_permission, change
    )
    # Inlines have no actions.
    if hasattr(model_admin, "get_actions"):
        model_admin.get_actions = view_actions_while_view_only(model_admin.get_actions)
    setattr(model_admin, MARK, True)


def install() -> None:
    """Make every ModelAdmin, made before or after now, view-only when it must be."""
    if not apps.is_installed("django.contrib.admin"):
        return
    from django.contrib.admin.options import BaseModelAdmin
    from django.contrib.admin.sites import all_sites

    init = BaseModelAdmin.__init__
    if not getattr(init, MARK, False):

        @functools.wraps(init)
        def wrapping_init(self: Any, *args: Any, **kwargs: Any) -> None:
            init(self, *args, **kwargs)
            make_view_only(self)

        setattr(wrapping_init, MARK, True)
        setattr(BaseModelAdmin, "__init__", wrapping_init)  # noqa: B010
    # Registered before now: django.contrib.admin listed above this app.
    for site in list(all_sites):
        for model_admin in site._registry.values():
            make_view_only(model_admin)
