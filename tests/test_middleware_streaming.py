"""
Streaming responses: the server produces their content after every
middleware has returned, so the middleware's scope must go along with it.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import DatabaseError
from django.http import FileResponse
from django.test import AsyncClient, Client, override_settings

from readonly_scopes import ReadOnlyError, disable_writes, read_only, writes_allowed
from readonly_scopes.middleware import streamed_within
from readonly_scopes.switch import SWITCH
from tests.testapp.models import Item

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site_read_only() -> Iterator[None]:
    SWITCH.turn_on(None)
    with override_settings(
        DJANGO_READ_ONLY_EXEMPT_PATHS=["/exempt/"], DJANGO_READ_ONLY_ENFORCE=True
    ):
        yield
    SWITCH.turn_off()


def names() -> list[str]:
    return sorted(Item.objects.values_list("name", flat=True))


def consume(response: Any) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


async def aconsume(response: Any) -> bytes:
    return b"".join([chunk async for chunk in response])


@pytest.mark.usefixtures("site_read_only")
@pytest.mark.parametrize(
    ("how", "refusal"),
    [("orm", ReadOnlyError), ("raw", sqlite3.OperationalError)],
)
def test_a_write_while_streaming_is_refused(
    client: Client, how: str, refusal: type[Exception]
) -> None:
    response = client.get("/stream/", {"name": "leak", "how": how})
    assert response.status_code == 200
    # The view has returned, and the request's scope with it: the write
    # comes while the server produces the content.
    assert writes_allowed()
    with pytest.raises(refusal):
        consume(response)
    assert names() == []


@pytest.mark.usefixtures("site_read_only")
def test_a_write_while_streaming_async_is_refused(async_client: AsyncClient) -> None:
    async def main() -> None:
        response = await async_client.get("/async-stream/", {"name": "leak"})
        assert response.status_code == 200
        with pytest.raises(ReadOnlyError):
            await aconsume(response)

    async_to_sync(main)()
    assert names() == []


@pytest.mark.usefixtures("site_read_only")
@pytest.mark.parametrize("how", ["orm", "raw"])
def test_exempt_requests_write_while_streaming(client: Client, how: str) -> None:
    # Outside the request's temp_writes(), this process blocks writes.
    disable_writes()
    response = client.get("/exempt/stream/", {"name": "kept", "how": how})
    assert consume(response) == b"first\nwritten\n"
    assert names() == ["kept"]


@pytest.mark.usefixtures("site_read_only")
def test_exempt_requests_write_while_streaming_async(
    async_client: AsyncClient,
) -> None:
    disable_writes()

    async def main() -> bytes:
        response = await async_client.get("/exempt/async-stream/", {"name": "kept"})
        return await aconsume(response)

    assert async_to_sync(main)() == b"first\nwritten\n"
    assert names() == ["kept"]


def test_a_writable_site_streams_untouched(client: Client) -> None:
    response = client.get("/stream/", {"name": "written"})
    assert consume(response) == b"first\nwritten\n"
    assert names() == ["written"]


def test_file_responses_are_left_to_the_server() -> None:
    # The test client wraps streaming content itself, hiding the file.
    response = FileResponse(io.BytesIO(b"readonly_scopes"))
    assert streamed_within(read_only(), response) is response
    assert response.file_to_stream is not None
    assert consume(response) == b"readonly_scopes"


@pytest.mark.usefixtures("site_read_only")
def test_a_refusal_mid_stream_leaves_no_scope_open(client: Client) -> None:
    response = client.get("/stream/", {"name": "leak"})
    with pytest.raises(DatabaseError):
        consume(response)
    assert writes_allowed()
    Item.objects.create(name="after")
    assert names() == ["after"]
