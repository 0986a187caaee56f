"""
Real ORM traffic: every statement Django sends for a broad workload is
labelled by the database's own read-only mode, and the classifier must agree
with every label. Then Django's read-only commands run with the flag on.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Concat, ExtractYear, Lower, Rank

from readonly_scopes.flag import load_flag
from readonly_scopes.state import FLAG
from tests.traffic import LabellingWrapper
from tests.zoo.models import Author, Book, Profile, Tag

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def exercise_the_orm(alias: str) -> None:
    connection = connections[alias]
    authors = Author.objects.using(alias)
    books = Book.objects.using(alias)

    ada = authors.create(
        name="Ada", email="ada@example.com", born=datetime.date(1815, 12, 10)
    )
    authors.bulk_create(
        [Author(name=f"author{n}", rating=decimal.Decimal(n)) for n in range(3)]
    )
    tags = Tag.objects.using(alias)
    tags.bulk_create([Tag(slug="maths"), Tag(slug="poetry")])
    book = books.create(
        title="Notes",
        author=ada,
        pages=100,
        price=9.5,
        published=datetime.datetime(1843, 1, 1, tzinfo=datetime.timezone.utc),
        reading_time=datetime.timedelta(hours=2),
        starts_at=datetime.time(9, 30),
        data={"topic": "engines", "tags": ["a", "b"], "depth": {"level": 2}},
        cover=b"\x00\x01",
        website="https://example.com",
        ip="127.0.0.1",
        text="On the analytical engine.",
    )
    books.bulk_create(
        [
            Book(title=f"Book {n}", author=ada, pages=n * 10, data={"n": n})
            for n in range(5)
        ]
    )
    book.tags.add(*tags.all())
    book.tags.remove(tags.get(slug="poetry"))
    book.tags.set(list(tags.all()))
    Profile.objects.using(alias).create(author=ada, bio="Mathematician")

    # Reads of every kind.
    list(books.filter(Q(pages__gt=10) | Q(title__startswith="N")).exclude(pages=0))
    list(
        books.select_related("author")
        .prefetch_related("tags")
        .only("title", "author__name")
    )
    list(books.defer("text").order_by("-pages", "title")[:3])
    list(books.values("author__name").annotate(total=Sum("pages"), n=Count("id")))
    books.aggregate(Avg("price"), Max("pages"), Min("pages"))
    list(books.annotate(rank=Window(Rank(), order_by=F("pages").desc())))
    newest = books.filter(author=OuterRef("pk")).order_by("-pages")
    list(authors.annotate(longest=Subquery(newest.values("title")[:1])))
    list(authors.filter(Exists(books.filter(author=OuterRef("pk")))))
    list(books.filter(title="Notes").union(books.filter(pages__gte=30)))
    list(books.filter(data__topic="engines", data__depth__level=2))
    list(books.filter(data__has_key="tags"))
    if connection.features.supports_json_field_contains:
        list(books.filter(data__contains={"topic": "engines"}))
    list(
        books.annotate(
            size=Case(When(pages__gt=30, then=Value("long")), default=Value("short")),
            label=Concat(Lower("title"), Value("-"), Cast("pages", CharField())),
            year=ExtractYear(
                Coalesce(
                    "published",
                    Value(datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)),
                )
            ),
        )
    )
    list(books.dates("published", "year"))
    list(books.values_list("title", flat=True).distinct())
    books.filter(pages__in=[10, 20]).exists()
    books.in_bulk([book.pk])
    books.order_by("pk").first()
    list(books.iterator(chunk_size=2))
    list(books.raw(f"SELECT * FROM {connection.ops.quote_name('zoo_book')}"))
    list(ada.books.all())
    tags.get(slug="maths").books.count()

    # Writes of every kind.
    books.filter(pk=book.pk).update(pages=F("pages") + 1)
    authors.update_or_create(name="Ada", defaults={"rating": decimal.Decimal("4.50")})
    authors.get_or_create(name="Grace")
    some = list(books.all()[:2])
    for item in some:
        item.price = 1.25
    books.bulk_update(some, ["price"])
    book.title = "Notes, revised"
    book.save()
    book.tags.clear()
    with transaction.atomic(using=alias):
        list(books.select_for_update().filter(pk=book.pk))
        with transaction.atomic(using=alias):
            books.filter(pk=book.pk).update(small=2)
        try:
            with transaction.atomic(using=alias):
                authors.create(name="Ada")
        except IntegrityError:
            pass
    authors.filter(name="Grace").delete()
    ada.delete()  # Cascades to books, their tags and the profile.


def exercise_schema(alias: str) -> None:
    out = StringIO()
    call_command("migrate", "zoo", "zero", database=alias, verbosity=0)
    call_command("migrate", "zoo", database=alias, verbosity=0)
    call_command("showmigrations", "zoo", database=alias, stdout=out)
    call_command("inspectdb", "zoo_book", database=alias, stdout=out)
    connection = connections[alias]
    with connection.cursor() as cursor:
        introspection = connection.introspection
        introspection.get_table_list(cursor)
        introspection.get_table_description(cursor, "zoo_book")
        introspection.get_constraints(cursor, "zoo_book")
        introspection.get_relations(cursor, "zoo_book")
        introspection.get_sequences(cursor, "zoo_book")
        introspection.get_primary_key_columns(cursor, "zoo_book")


@pytest.fixture
def labelled(alias: str) -> Iterator[LabellingWrapper]:
    connection = connections[alias]
    connection.ensure_connection()
    labeller = LabellingWrapper(connection)
    connection.execute_wrappers.append(labeller)
    try:
        yield labeller
    finally:
        connection.execute_wrappers.remove(labeller)
        labeller.close()


def test_classifier_agrees_with_the_database_on_orm_traffic(
    alias: str, labelled: LabellingWrapper
) -> None:
    exercise_the_orm(alias)
    exercise_schema(alias)
    statements = list(labelled.seen.values())
    disagreements = [
        (item.sql, item.database_reads)
        for item in statements
        if item.database_reads is not None
        and item.database_reads is not item.classifier_reads
    ]
    assert not disagreements, "\n".join(map(repr, disagreements))
    # Transaction control was not run twice; the policy says it reads.
    assert all(
        item.classifier_reads for item in statements if item.database_reads is None
    )
    reads = [item for item in statements if item.database_reads]
    writes = [item for item in statements if item.database_reads is False]
    assert len(reads) >= 40
    assert len(writes) >= 30


# Read-only commands and features, with DJANGO_READ_ONLY=1.


@pytest.fixture
def read_only_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_READ_ONLY", "1")
    load_flag()


@pytest.mark.usefixtures("read_only_environment")
def test_migration_commands_work_read_only(alias: str) -> None:
    out = StringIO()
    call_command("showmigrations", database=alias, stdout=out)
    assert "[X] 0001_initial" in out.getvalue()
    call_command("migrate", database=alias, check_unapplied=True, verbosity=0)
    call_command("migrate", database=alias, plan=True, stdout=out)


@pytest.mark.usefixtures("read_only_environment")
def test_iterator_works_read_only(alias: str) -> None:
    FLAG.set(False, "test setup")
    Author.objects.using(alias).bulk_create([Author(name=f"a{n}") for n in range(5)])
    load_flag()
    names = [
        author.name
        for author in Author.objects.using(alias).order_by("name").iterator(2)
    ]
    assert names == ["a0", "a1", "a2", "a3", "a4"]
    with transaction.atomic(using=alias):
        assert len(list(Author.objects.using(alias).iterator(chunk_size=2))) == 5


@pytest.fixture
def immediate_sqlite(tmp_path: Path) -> Iterator[str]:
    settings = {
        **connections["default"].settings_dict,
        "NAME": str(tmp_path / "immediate.sqlite3"),
        "OPTIONS": {"transaction_mode": "IMMEDIATE"},
    }
    connections["immediate"] = SQLiteWrapper(settings, alias="immediate")
    try:
        yield "immediate"
    finally:
        connections["immediate"].close()
        del connections["immediate"]


@pytest.mark.usefixtures("read_only_environment")
def test_atomic_with_immediate_transactions_works_read_only(
    immediate_sqlite: str,
) -> None:
    connection = connections[immediate_sqlite]
    with transaction.atomic(using=immediate_sqlite):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        with transaction.atomic(using=immediate_sqlite), connection.cursor() as cursor:
            cursor.execute("SELECT 2")
    assert connection.execute_wrappers[0].__name__ == "guard"
