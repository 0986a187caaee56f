from __future__ import annotations

import pytest
from django.db import connections
from django.test import override_settings

from readonly_scopes import ReadOnlyError, read_only
from readonly_scopes.allowlist import ALLOWED, CACHE_LIMIT
from readonly_scopes.sql.targets import write_target
from tests.testapp.models import Item

PLAIN = [
    ('INSERT INTO "django_session" ("a", "b") VALUES (%s, %s)', "postgresql"),
    ("INSERT INTO `django_session` (`a`) VALUES (%s)", "mysql"),
    ('UPDATE "django_session" SET "a" = %s WHERE "django_session"."k" = %s', "sqlite"),
    ('DELETE FROM "django_session" WHERE "django_session"."k" IN (%s, %s)', "sqlite"),
    ("DELETE FROM django_session", "postgresql"),
    ("UPDATE public.django_session SET a = 1", "postgresql"),
    ("INSERT INTO django_session DEFAULT VALUES", "postgresql"),
    (
        'INSERT INTO django_session (a) VALUES (1) RETURNING "django_session"."id"',
        "postgresql",
    ),
    ("UPDATE django_session SET a = 'it''s (not) a call(1)'", "sqlite"),
]
AMBIGUOUS = [
    ("UPDATE django_session SET a = (SELECT 1)", "sqlite"),
    ("UPDATE django_session SET a = lower(b)", "sqlite"),
    ('UPDATE django_session SET a = "lower"(b)', "postgresql"),
    ("UPDATE django_session SET a = 1 FROM other", "postgresql"),
    ("DELETE FROM django_session USING other", "postgresql"),
    ("UPDATE django_session SET a = other.b", "postgresql"),
    ("UPDATE django_session, auth_user SET a = 1", "mysql"),
    ("UPDATE django_session AS s SET s.a = 1", "mysql"),
    ("UPDATE django_session SET a = 1; DELETE FROM auth_user", "postgresql"),
    ("WITH x AS (SELECT 1) DELETE FROM django_session", "postgresql"),
    ("INSERT INTO django_session SELECT * FROM auth_user", "postgresql"),
    ("DELETE django_session FROM django_session JOIN auth_user", "mysql"),
    ("INSERT IGNORE INTO django_session VALUES (1)", "mysql"),
    ("SELECT 1", "sqlite"),
    ("UPDATE", "sqlite"),
    ("DELETE FROM", "sqlite"),
    ("UPDATE 'unterminated", "sqlite"),
    (
        "UPDATE django_session SET a = 'x\\' WHERE 1 = 1; DELETE FROM auth_user; --'",
        "mysql",
    ),
]


@pytest.mark.parametrize(("sql", "vendor"), PLAIN)
def test_plain_statements_name_their_table(sql: str, vendor: str) -> None:
    assert write_target(sql, vendor) == "DJANGO_SESSION"


@pytest.mark.parametrize(("sql", "vendor"), AMBIGUOUS)
def test_anything_ambiguous_has_no_target(sql: str, vendor: str) -> None:
    assert write_target(sql, vendor) is None


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_allowed_table_is_written_inside_read_only(alias: str) -> None:
    table = Item._meta.db_table
    with override_settings(DJANGO_READ_ONLY_ALLOWED_TABLES=[table]), read_only():
        Item.objects.using(alias).create(name="allowed")
        Item.objects.using(alias).update(name="changed")
        with pytest.raises(ReadOnlyError), connections[alias].cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET name = upper(name)")
    with read_only(), pytest.raises(ReadOnlyError):
        Item.objects.using(alias).create(name="not any more")
    assert list(Item.objects.using(alias).values_list("name", flat=True)) == ["changed"]


def test_targets_are_cached_within_bounds() -> None:
    with override_settings(DJANGO_READ_ONLY_ALLOWED_TABLES=["t"]):
        for number in range(CACHE_LIMIT + 5):
            ALLOWED.allows(f"DELETE FROM t WHERE id = {number}", "sqlite")
        assert len(ALLOWED.targets) <= CACHE_LIMIT
        assert ALLOWED.allows("DELETE FROM t", "sqlite")
        assert ALLOWED.allows("DELETE FROM t", "sqlite")  # From the cache.
    assert ALLOWED.tables == frozenset()
    assert not ALLOWED.allows("DELETE FROM t", "sqlite")
