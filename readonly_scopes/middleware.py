"""
Read-only mode for a live site: each request runs in a ``read_only()`` scope
while the site is read-only, except exempt requests, which run in
``temp_writes()``. A write blocked during a request becomes a 503.

Safe-method mode (``DJANGO_READ_ONLY_SAFE_METHODS``): while the site is
writable, GET, HEAD, OPTIONS and TRACE requests, which must not change state
(RFC 9110, section 9.2.1), run in a read-only scope that logs each write and
lets it run ("warn") or raises an error naming the view ("block").

Put it right after ``AuthenticationMiddleware``. Writes made by middleware
above it (saving the session, for instance) happen outside its scopes.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
)
from typing import Any, NamedTuple

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils.module_loading import import_string

from readonly_scopes import audit
from readonly_scopes.conf import CONF
from readonly_scopes.errors import ReadOnlyError
from readonly_scopes.failover import aapply, apply, refused_state
from readonly_scopes.scopes import BlockedWrite, Scope, read_only, temp_writes
from readonly_scopes.state import FLAG
from readonly_scopes.switch import SWITCH, SiteState

ATTRIBUTE = "read_only_site"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# What messages about the scope (the backstop's, for one) call it.
SAFE_METHOD_KIND = "read_only() of DJANGO_READ_ONLY_SAFE_METHODS"


class RequestMode(NamedTuple):
    """What the middleware decided for one request; the context processor shows it."""

    state: SiteState
    exempt: str | None


class ReadOnlySiteMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        self.exemption_logged_at = -math.inf
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        state = apply(SWITCH.current())
        if not site_read_only(state):
            mode = CONF.safe_methods
            scope = None if mode is None else safe_method_scope(request, mode)
            if scope is None:
                return self.get_response(request)
            with scope:
                response = self.get_response(request)
            return streamed_within(scope, response)
        user = request.user if needs_user() else None
        scope = self.scope_for(request, state, user)
        with scope:
            response = self.get_response(request)
        return streamed_within(scope, response)

    async def __acall__(self, request: HttpRequest) -> Any:
        state = await aapply(await SWITCH.acurrent())
        get_response: Callable[[HttpRequest], Awaitable[Any]] = self.get_response
        if not site_read_only(state):
            mode = CONF.safe_methods
            scope = None if mode is None else safe_method_scope(request, mode)
            if scope is None:
                return await get_response(request)
            async with scope:
                response = await get_response(request)
            return streamed_within(scope, response)
        user = await request.auser() if needs_user() else None
        scope = self.scope_for(request, state, user)
        async with scope:
            response = await get_response(request)
        return streamed_within(scope, response)

    def scope_for(self, request: HttpRequest, state: SiteState, user: Any) -> Scope:
        try:
            reason = exempt_reason(request, user)
        except Exception:
            # Failing safe: a broken exemption must not turn reads into 500s.
            self.exemption_failed(request)
            reason = None
        setattr(request, ATTRIBUTE, RequestMode(state, reason))
        if reason is None:
            return read_only()
        audit.request_exempt(request.method, request.path, reason)
        return temp_writes()

    def exemption_failed(self, request: HttpRequest) -> None:
        # Once per refresh interval: a log line per request would bury the rest.
        interval = CONF.cache_refresh
        if time.monotonic() - self.exemption_logged_at < interval:
            return
        self.exemption_logged_at = time.monotonic()
        audit.logger.error(
            "Could not decide whether request %s %s is exempt from read-only mode "
            "(DJANGO_READ_ONLY_EXEMPT is %r); treating it as not exempt. Logged at "
            "most once every %s s.",
            request.method,
            request.path,
            CONF.exempt,
            interval,
            exc_info=True,
        )

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        mode = getattr(request, ATTRIBUTE, None)
        if mode is not None and isinstance(exception, ReadOnlyError):
            return unavailable(request, mode.state)
        # The database refused by itself: read-only as if the switch were on.
        refused = refused_state(exception)
        return None if refused is None else unavailable(request, refused)


def streamed_within(scope: Scope, response: Any) -> Any:
    """
    Produce streaming content inside the request's scope too: the server
    iterates it after every middleware has returned. Files are left to the
    server's own file wrapper: reading them touches no database.
    """
    if not isinstance(response, StreamingHttpResponse) or isinstance(
        response, FileResponse
    ):
        return response
    content = response.streaming_content
    if isinstance(content, AsyncIterator):
        response.streaming_content = achunks_within(scope, content)
    else:
        response.streaming_content = chunks_within(scope, content)
    return response


def chunks_within(scope: Scope, content: Iterable[bytes]) -> Iterator[bytes]:
    # One scope per chunk, so that nothing of it stays set in the server's
    # context between chunks, or after a client goes away mid-stream.
    chunks = iter(content)
    while True:
        with scope:
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


async def achunks_within(
    scope: Scope, content: AsyncIterable[bytes]
) -> AsyncIterator[bytes]:
    chunks = aiter(content)
    while True:
        async with scope:
            chunk = await anext(chunks, None)
        if chunk is None:
            return
        yield chunk


def site_read_only(state: SiteState) -> bool:
    # A flag for some databases only (DJANGO_READ_ONLY = ["replica"]) leaves
    # the site as it is.
    return state.on or FLAG.read_only


def needs_user() -> bool:
    return CONF.exempt_staff or CONF.exempt_superusers


def exempt_reason(request: HttpRequest, user: Any) -> str | None:
    """Why the request may write, or None when it may not."""
    reason = exempt_view(request)
    if reason is not None:
        return reason
    if user is not None and user.is_active:
        if CONF.exempt_superusers and user.is_superuser:
            return f"superuser {user.get_username()!r}"
        if CONF.exempt_staff and user.is_staff:
            return f"staff user {user.get_username()!r}"
    path = CONF.exempt
    if path is not None and import_string(path)(request):
        return f"{path}(request)"
    return None


def exempt_view(request: HttpRequest) -> str | None:
    """Why the request may write by its path or URL name, or None."""
    for prefix in CONF.exempt_paths:
        if request.path_info.startswith(prefix):
            return f"path prefix {prefix!r}"
    names = CONF.exempt_url_names
    if names:
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        if match is not None and match.view_name in names:
            return f"URL name {match.view_name!r}"
    return None


def safe_method_scope(request: HttpRequest, mode: str) -> Scope | None:
    """
    The scope of a GET, HEAD, OPTIONS or TRACE request on a writable site,
    or None for other methods and for views exempt by path or URL name.
    Exemptions by user or by DJANGO_READ_ONLY_EXEMPT do not apply: they say
    who may write during maintenance, and a view that writes on GET is a bug
    whoever asks.
    """
    if request.method not in SAFE_METHODS or exempt_view(request) is not None:
        return None
    return Scope(
        allows_writes=False,
        kind=SAFE_METHOD_KIND,
        watcher=SafeMethodWatcher(request, mode),
    )


class SafeMethodWatcher:
    """
    Hears of the writes a safe-method request tries: logs each, then lets it
    run ("warn", or "block" with DJANGO_READ_ONLY_WARN_ONLY) or raises. The
    view is looked up only then, so requests that do not write pay nothing
    for it.
    """

    __slots__ = ("mode", "request")

    def __init__(self, request: HttpRequest, mode: str) -> None:
        self.request = request
        self.mode = mode

    def __call__(self, blocked: BlockedWrite) -> bool:
        if not blocked.decided:
            # A read_only() scope inside the request blocked it: its error stands.
            return False
        mode = self.mode
        block = mode == "block" and not CONF.warn_only
        request = f"{self.request.method} {self.request.path}"
        view = view_of(self.request)
        audit.safe_method_write(
            request, view, blocked.alias, blocked.statement, mode, block
        )
        if block:
            # Raised here, before the guard raises its own: the error the
            # developer sees names the view and the setting, not a scope
            # entered in this middleware.
            raise safe_method_error(request, view, blocked)
        return True


def view_of(request: HttpRequest) -> str:
    """The request's view and URL name, as the log and the error name them."""
    match = request.resolver_match
    if match is None:
        # A write before Django resolved the URL (in middleware below this one).
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return "no view (the URL resolves to none)"
    # Django's view_name of an unnamed URL is the view's own path.
    name = "no URL name" if match.url_name is None else f"URL name {match.view_name!r}"
    return f"view {dotted_path(match.func)}, {name}"


def dotted_path(view: Any) -> str:
    while isinstance(view, functools.partial):
        view = view.func
    # A class-based view's as_view() function: the class says more.
    view = getattr(view, "view_class", view)
    if not hasattr(view, "__qualname__"):
        view = type(view)
    return f"{view.__module__}.{view.__qualname__}"


def safe_method_error(request: str, view: str, blocked: BlockedWrite) -> ReadOnlyError:
    return ReadOnlyError(
        f"Write blocked on database {blocked.alias!r}: {blocked.statement}\n"
        f"{request} ({view}) tried to write. GET, HEAD, OPTIONS and TRACE "
        "requests must not change state (RFC 9110, section 9.2.1), and "
        "DJANGO_READ_ONLY_SAFE_METHODS = 'block' runs them read-only.\n"
        "To allow it, make the change in a POST request, wrap the write in "
        "`with temp_writes():` in the view, or exempt the view by its URL name "
        "(DJANGO_READ_ONLY_EXEMPT_URL_NAMES), its path "
        "(DJANGO_READ_ONLY_EXEMPT_PATHS) or its table "
        "(DJANGO_READ_ONLY_ALLOWED_TABLES)."
    )


def unavailable(request: HttpRequest, state: SiteState) -> HttpResponse:
    """The 503 for a write refused because the site is read-only."""
    retry_after = state.seconds_left() or int(CONF.retry_after)
    message = "The site is in read-only mode: changes cannot be saved right now."
    preferred = request.get_preferred_type(["text/html", "application/json"])
    if preferred == "application/json":
        response = HttpResponse(
            json.dumps(
                {"error": "read_only", "detail": message, "retry_after": retry_after}
            ),
            content_type="application/json",
            status=503,
        )
    else:
        context = {"message": message, "retry_after": retry_after, "state": state}
        try:
            body: str = render_to_string("readonly_scopes/503.html", context, request)
        except TemplateDoesNotExist:
            body = f"<!doctype html><title>Read-only</title><p>{message}</p>"
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(retry_after)
    return response
