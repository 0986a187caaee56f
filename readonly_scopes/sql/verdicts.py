"""
Verdicts for statement texts seen before.

Django sends the same parameterised SQL again and again, so the guard looks
a text up in a plain dict before anything else, and a hit costs nothing
more. A text can read differently with and without parameters (``'%s'`` is
a placeholder inside quotes only with them): such texts are kept per call
kind in caches of their own, and the guard's dict holds only verdicts that
are the same either way, which is almost every text.

When a cache is full, every sixteenth entry goes, spread over old and new
alike: a working set a little larger than the cache still mostly hits, in
random order and in a cycle (where dropping the oldest would never hit).
Longer texts (bulk inserts) are kept by digest in a smaller cache: hashing
them costs far less than reading them again.
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

# Per vendor: verdicts the same with and without parameters, then those for
# calls without and with parameters where they differ.
verdicts: dict[str, tuple[dict[str, bool], dict[str, bool], dict[str, bool]]] = {}
long_verdicts: dict[tuple[str, bool, bytes], bool] = {}


def caches_for(vendor: str) -> tuple[dict[str, bool], dict[str, bool], dict[str, bool]]:
    caches = verdicts.get(vendor)
    if caches is None:
        caches = verdicts[vendor] = ({}, {}, {})
    return caches


def verdicts_for(vendor: str) -> dict[str, bool]:
    """The verdicts of one vendor that hold for any call: the guard reads them."""
    return caches_for(vendor)[0]


def is_read(
    sql: str, vendor: str, with_params: bool = False, session: Session | None = None
) -> bool:
    """
    Return True only if every statement in ``sql`` provably only reads, as
    the database receives it: with parameters, ``%s`` is a placeholder.
    ``session`` is the connection's record of cursors and prepared
    statements, which ``FETCH`` and ``EXECUTE`` need.
    """
    if len(sql) > LONGEST_CACHED_AS_TEXT:
        return long_is_read(sql, vendor, with_params, session)
    either, *per_call = caches_for(vendor)
    verdict = either.get(sql)
    if verdict is None:
        verdict = per_call[with_params].get(sql)
    if verdict is not None:
        return verdict
    result = classify(sql, vendor, with_params, session)
    if result.cacheable:
        other = classify(sql, vendor, not with_params)
        if other.cacheable and other.read is result.read:
            remember(either, sql, result.read, CACHE_LIMIT)
        else:
            remember(per_call[with_params], sql, result.read, CACHE_LIMIT)
    return result.read


def long_is_read(
    sql: str, vendor: str, with_params: bool, session: Session | None
) -> bool:
    digest = hashlib.blake2b(sql.encode(errors="surrogatepass"), digest_size=16)
    key = (vendor, with_params, digest.digest())
    verdict = long_verdicts.get(key)
    if verdict is None:
        result = classify(sql, vendor, with_params, session)
        verdict = result.read
        if result.cacheable:
            remember(long_verdicts, key, verdict, LONG_CACHE_LIMIT)
    return verdict


def remember(cache: dict[Any, bool], key: Any, verdict: bool, limit: int) -> None:
    if len(cache) >= limit:
        for old in list(cache)[::EVICTED_AT_ONCE]:
            cache.pop(old, None)
    cache[key] = verdict


def why_blocked(
    sql: str, vendor: str, with_params: bool = False, session: Session | None = None
) -> str:
    """Why a statement is not a read, when there is more to say than that."""
    return classify(sql, vendor, with_params, session).reason
