"""Views the live-site tests request, sync and async."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import (
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

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


def banner(request: HttpRequest) -> HttpResponse:
    return render(request, "testapp/banner.html")


def exempt_header(request: HttpRequest) -> bool:
    """The exemption callable the tests configure."""
    return request.headers.get("X-Maintenance") == "yes"


NOT_CALLABLE = 42
