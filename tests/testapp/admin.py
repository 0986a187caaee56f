"""
Admins for the view-only admin tests: list_editable, a writing action and a
view-only one, inlines of both kinds, a ModelAdmin that grants change by
itself, and a second AdminSite.

The classes are Django's, not django-stubs' generics, which cannot be
subscripted at run time without django-stubs-ext.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from tests.testapp.models import Item
from tests.zoo.models import Author, Book, Profile, Tag


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "owner")
    list_editable = ("owner",)
    actions = ("mark_checked", "export_names")

    @admin.action(description="Mark as checked")
    def mark_checked(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        queryset.update(owner="checked")

    @admin.action(description="Export names", permissions=["view"])
    def export_names(
        self, request: HttpRequest, queryset: QuerySet[Item]
    ) -> HttpResponse:
        names = sorted(queryset.values_list("name", flat=True))
        return HttpResponse("\n".join(names), content_type="text/plain")


class BookInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Book
    fields = ("title", "pages")
    extra = 1


class ProfileInline(admin.StackedInline):  # type: ignore[type-arg]
    model = Profile


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    fields = ("name", "email", "active")
    inlines = (BookInline, ProfileInline)


@admin.register(Tag)
class AnyoneMayChangeTagAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Grants change to every staff user, whatever their permissions."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


other_site = admin.AdminSite(name="other_admin")
other_site.register(Item, ItemAdmin)
