"""
Verdicts for statement texts seen before, per vendor and per call with or
without parameters (the same text reads differently in the two).

Django sends the same parameterised SQL again and again, so the guard looks
a text up in a plain dict before anything else, and a hit costs nothing
more. When a cache is full, every sixteenth entry goes, spread over old and
new alike: a working set a little larger than the cache still mostly hits,
in random order and in a cycle (where dropping the oldest would never hit).
Longer texts (bulk inserts) are kept by digest in a smaller cache of their
own: hashing them costs far less than reading them again.
"""

from __future__ import annotations

import hashlib
from typing import Any

from readonly_scopes.sql.classify import classify
from readonly_scopes.sql.sessions import Session

CACHE_LIMIT = 4096
LONG_CACHE_LIMIT = 256
LONGEST_CACHED_AS_TEXT = 2048
EVICTED_AT_ONCE = 16  # One entry in this many goes when a cache is full.

verdicts: dict[str, tuple[dict[str, bool], dict[str, bool]]] = {}
long_verdicts: dict[tuple[str, bool, bytes], bool] = {}


def verdicts_for(vendor: str) -> tuple[dict[str, bool], dict[str, bool]]:
    """
    The caches of one vendor, for calls without and with parameters: the
    guard reads them directly.
    """
    caches = verdicts.get(vendor)
    if caches is None:
        caches = verdicts[vendor] = ({}, {})
    return caches


def is_read(
    sql: str, vendor: str, with_params: bool = False, session: Session | None = None
) -> bool:
    """
    Return True only if every statement in ``sql`` provably only reads, as
    the database receives it: with parameters, ``%s`` is a placeholder.
    ``session`` is the connection's record of cursors and prepared
    statements, which ``FETCH`` and ``EXECUTE`` need.
    """
    if len(sql) <= LONGEST_CACHED_AS_TEXT:
        cache = verdicts_for(vendor)[with_params]
        verdict = cache.get(sql)
        if verdict is None:
            verdict = judge(sql, vendor, with_params, session, cache, sql, CACHE_LIMIT)
        return verdict
    digest = hashlib.blake2b(sql.encode(errors="surrogatepass"), digest_size=16)
    key = (vendor, with_params, digest.digest())
    verdict = long_verdicts.get(key)
    if verdict is None:
        verdict = judge(
            sql, vendor, with_params, session, long_verdicts, key, LONG_CACHE_LIMIT
        )
    return verdict


def judge(
    sql: str,
    vendor: str,
    with_params: bool,
    session: Session | None,
    cache: dict[Any, bool],
    key: Any,
    limit: int,
) -> bool:
    result = classify(sql, vendor, with_params, session)
    if result.cacheable:
        if len(cache) >= limit:
            for old in list(cache)[::EVICTED_AT_ONCE]:
                cache.pop(old, None)
        cache[key] = result.read
    return result.read


def why_blocked(
    sql: str, vendor: str, with_params: bool = False, session: Session | None = None
) -> str:
    """Why a statement is not a read, when there is more to say than that."""
    return classify(sql, vendor, with_params, session).reason
