"""Views the live-site tests request, sync and async."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
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


def banner(request: HttpRequest) -> HttpResponse:
    return render(request, "testapp/banner.html")


def exempt_header(request: HttpRequest) -> bool:
    """The exemption callable the tests configure."""
    return request.headers.get("X-Maintenance") == "yes"


NOT_CALLABLE = 42


def exempt_broken(request: HttpRequest) -> bool:
    """An exemption callable with a bug, as a project may deploy one."""
    return request.user.is_maintainer  # type: ignore[union-attr, no-any-return]
