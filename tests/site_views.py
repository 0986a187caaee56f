"""Views the live-site tests request, sync and async."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection, connections
from django.http import (
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from readonly_scopes import read_only, temp_writes, writes_allowed
from tests.testapp.models import Item


@csrf_exempt
def items(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        Item.objects.create(name=request.POST["name"], owner="sync")
    return JsonResponse({"items": sorted(Item.objects.values_list("name", flat=True))})


@csrf_exempt
async def async_items(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        await Item.objects.acreate(name=request.POST["name"], owner="async")
    names = [name async for name in Item.objects.values_list("name", flat=True)]
    return JsonResponse({"items": sorted(names)})


@csrf_exempt
def write_on_read(request: HttpRequest, alias: str = "default") -> HttpResponse:
    """A view that writes whatever the method, as views that count visits do."""
    Item.objects.using(alias).create(
        name=request.GET.get("name", "visit"), owner=request.method or ""
    )
    return HttpResponse("counted")


@csrf_exempt
async def async_write_on_read(request: HttpRequest) -> HttpResponse:
    await Item.objects.acreate(name=request.GET.get("name", "visit"), owner="async")
    return HttpResponse("counted")


class WriteOnReadView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        Item.objects.create(name=request.GET.get("name", "visit"), owner="class")
        return HttpResponse("counted")


@read_only
def write_in_read_only(request: HttpRequest) -> HttpResponse:
    """A view that says it never writes, and does."""
    Item.objects.create(name="refused", owner="read_only")
    return HttpResponse("counted")


def writing_middleware(get_response: Any) -> Any:
    """Middleware that writes before Django resolves the URL."""

    def middleware(request: HttpRequest) -> Any:
        if "middleware-writes" in request.GET:
            Item.objects.create(name="by-middleware", owner="middleware")
        return get_response(request)

    return middleware


def write_in_temp_writes(request: HttpRequest) -> HttpResponse:
    """A view that accepts its write on GET, knowingly."""
    with temp_writes():
        Item.objects.create(name="accepted", owner="temp_writes")
    return HttpResponse("counted")


def write_while_streaming(name: str, how: str) -> None:
    if how == "raw":
        connection.ensure_connection()
        cursor = connection.connection.cursor()
        try:
            cursor.execute(
                "INSERT INTO testapp_item (name, owner) VALUES (%s, 'raw')"
                if connection.vendor != "sqlite"
                else "INSERT INTO testapp_item (name, owner) VALUES (?, 'raw')",
                [name],
            )
        finally:
            cursor.close()
    else:
        Item.objects.create(name=name, owner="stream")


def stream(request: HttpRequest) -> StreamingHttpResponse:
    """Content made after the view returned: the write comes mid-stream."""

    def chunks() -> Iterator[bytes]:
        yield b"first\n"
        write_while_streaming(request.GET["name"], request.GET.get("how", "orm"))
        yield b"written\n"

    return StreamingHttpResponse(chunks())


async def async_stream(request: HttpRequest) -> StreamingHttpResponse:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"first\n"
        await sync_to_async(write_while_streaming)(
            request.GET["name"], request.GET.get("how", "orm")
        )
        yield b"written\n"

    return StreamingHttpResponse(chunks())


MODE_QUERIES = {
    "sqlite": "PRAGMA query_only",
    "postgresql": "SELECT current_setting('transaction_read_only') = 'on'",
    "mysql": "SELECT @@session.tx_read_only",
}


def database_read_only(alias: str) -> bool:
    """The mode the database itself says the connection is in, asked raw."""
    database = connections[alias]
    database.ensure_connection()
    cursor = database.connection.cursor()
    try:
        cursor.execute(MODE_QUERIES[database.vendor])
        return bool(cursor.fetchone()[0])
    finally:
        cursor.close()


def mode(request: HttpRequest, alias: str) -> HttpResponse:
    """The request's state, and the database's mode before and after a query."""
    # Django checks the connection's health (or connects) for a new cursor,
    # before any statement goes through the execute wrappers.
    with connections[alias].cursor() as cursor:
        before = database_read_only(alias)
        cursor.execute("SELECT 1")
    return JsonResponse(
        {
            "scope_read_only": not writes_allowed(),
            "before": before,
            "after": database_read_only(alias),
        }
    )


def fallback(request: HttpRequest, alias: str) -> HttpResponse:
    """A view that copes with a lost connection by itself."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("fallback")
    return HttpResponse("database")


def banner(request: HttpRequest) -> HttpResponse:
    return render(request, "testapp/banner.html")


def exempt_header(request: HttpRequest) -> bool:
    """The exemption callable the tests configure."""
    return request.headers.get("X-Maintenance") == "yes"


NOT_CALLABLE = 42


def exempt_broken(request: HttpRequest) -> bool:
    """An exemption callable with a bug, as a project may deploy one."""
    return request.user.is_maintainer  # type: ignore[union-attr, no-any-return]
