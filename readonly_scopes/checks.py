"""System checks: settings of the wrong type, and settings that do not fit together."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string

from readonly_scopes.backstop.coverage import COVERAGE
from readonly_scopes.conf import CONF, problems, read_only_problem

MIDDLEWARE = "readonly_scopes.middleware.ReadOnlySiteMiddleware"
AUTHENTICATION = "django.contrib.auth.middleware.AuthenticationMiddleware"
SINGLE_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "keeps it in this process only",
    "django.core.cache.backends.dummy.DummyCache": "keeps nothing",
}


def check_settings(**kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = [
        # The same words as the ERROR logged at start-up.
        Error(problem.what(), hint=problem.fix(), id="readonly_scopes.E001")
        for problem in problems()
    ]
    read_only = read_only_problem()
    if read_only is not None:
        messages.append(
            Error(read_only.what(), hint=read_only.fix(), id="readonly_scopes.E001")
        )
    messages += check_cache() + check_exempt_callable() + check_middleware_order()
    messages += check_cache_timeouts() + check_safe_methods()
    return messages


def check_cache() -> list[CheckMessage]:
    alias = CONF.cache
    if alias not in settings.CACHES:
        return [
            Error(
                f"DJANGO_READ_ONLY_CACHE is {alias!r}, which is not in CACHES "
                f"({', '.join(map(repr, settings.CACHES))}).",
                hint="Name a cache from CACHES, one that all your processes share.",
                id="readonly_scopes.E002",
            )
        ]
    backend = settings.CACHES[alias].get("BACKEND", "")
    if MIDDLEWARE in settings.MIDDLEWARE and backend in SINGLE_PROCESS_CACHES:
        return [
            Warning(
                f"The site read-only switch is kept in cache {alias!r}, whose "
                f"backend {SINGLE_PROCESS_CACHES[backend]}: `manage.py read_only on` "
                "will not reach the web processes.",
                hint="Use a shared cache (Redis, Memcached or the database cache).",
                id="readonly_scopes.W001",
            )
        ]
    return []


# The options that bound how long a call waits for a cache server, per backend.
TIMEOUT_OPTIONS = {
    "django.core.cache.backends.redis.RedisCache": (
        "socket_timeout",
        "socket_connect_timeout",
    ),
    "django_redis.cache.RedisCache": ("SOCKET_TIMEOUT", "SOCKET_CONNECT_TIMEOUT"),
    "django.core.cache.backends.memcached.PyMemcacheCache": (
        "timeout",
        "connect_timeout",
    ),
}


def check_cache_timeouts() -> list[CheckMessage]:
    alias = CONF.cache
    config: dict[str, Any] = settings.CACHES.get(alias, {})
    names = TIMEOUT_OPTIONS.get(config.get("BACKEND", ""), ())
    if not names:
        # Not a cache server with timeouts to set: a file path, a table, memory.
        return []
    options = config.get("OPTIONS") or {}
    location = config.get("LOCATION", "")
    urls = location.split(",") if isinstance(location, str) else list(location)
    missing = [
        name
        for name in names
        if options.get(name) is None
        # redis-py also takes them from the URL's query string.
        and not all(name.lower() in parse_qs(urlsplit(url).query) for url in urls)
    ]
    if not missing:
        return []
    example = ", ".join(f'"{name}": 0.5' for name in missing)
    return [
        Warning(
            f"The site read-only switch is kept in cache {alias!r}, which sets no "
            f"{' or '.join(missing)}: if the cache server hangs (stopped rather "
            "than down), each request that reads the switch waits as long as the "
            "operating system lets a connection hang, minutes.",
            hint=f'Add "OPTIONS": {{{example}}} to CACHES[{alias!r}]: a hung '
            "cache then costs at most that many seconds, and the switch keeps its "
            "last known state.",
            id="readonly_scopes.W002",
        )
    ]


def check_exempt_callable() -> list[CheckMessage]:
    path = CONF.exempt
    if path is None:
        return []
    try:
        function = import_string(path)
    except ImportError as error:
        problem = f"cannot be imported ({error})"
    else:
        if callable(function):
            return []
        problem = "is not callable"
    return [
        Error(
            f"DJANGO_READ_ONLY_EXEMPT is {path!r}, which {problem}.",
            hint="Give the dotted path of a function that takes the request and "
            "returns True for requests that may write.",
            id="readonly_scopes.E003",
        )
    ]


def check_middleware_order() -> list[CheckMessage]:
    exempts_users = CONF.exempt_staff or CONF.exempt_superusers
    middleware = list(settings.MIDDLEWARE)
    if not exempts_users or MIDDLEWARE not in middleware:
        return []
    if AUTHENTICATION in middleware and middleware.index(
        AUTHENTICATION
    ) < middleware.index(MIDDLEWARE):
        return []
    return [
        Error(
            "DJANGO_READ_ONLY_EXEMPT_STAFF or _SUPERUSERS is on, but "
            f"{MIDDLEWARE} does not come after {AUTHENTICATION} in MIDDLEWARE, "
            "so it cannot see who the user is.",
            hint=f"Put {MIDDLEWARE} right after {AUTHENTICATION}.",
            id="readonly_scopes.E004",
        )
    ]


def check_safe_methods() -> list[CheckMessage]:
    mode = CONF.safe_methods
    if mode is None:
        return []
    if MIDDLEWARE not in settings.MIDDLEWARE:
        return [
            Warning(
                f"DJANGO_READ_ONLY_SAFE_METHODS is {mode!r}, but {MIDDLEWARE} is "
                "not in MIDDLEWARE, so no request runs in safe-method mode.",
                hint=f"Put {MIDDLEWARE} right after {AUTHENTICATION}.",
                id="readonly_scopes.W003",
            )
        ]
    if mode == "warn" and COVERAGE.aliases:
        covered = ", ".join(map(repr, sorted(COVERAGE.aliases)))
        return [
            Warning(
                "DJANGO_READ_ONLY_SAFE_METHODS is 'warn' while the backstop "
                f"(DJANGO_READ_ONLY_ENFORCE) covers {covered}: during GET, HEAD, "
                "OPTIONS and TRACE requests the database "
                "refuses the writes readonly_scopes cannot see (through the "
                "driver's own connection, in functions that write), so those "
                "requests fail instead of being logged.",
                hint="Try 'warn' where DJANGO_READ_ONLY_ENFORCE is off, or use "
                "'block'.",
                id="readonly_scopes.W004",
            )
        ]
    return []
