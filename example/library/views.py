from __future__ import annotations

from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import aget_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from library.models import Book
from readonly_scopes import read_only, temp_writes


@read_only
def book_list(request: HttpRequest) -> HttpResponse:
    # A listing never needs to write: anything that tries is a bug, and the
    # scope turns it into an error instead of a silent change.
    books = Book.objects.order_by("title").values(
        "id", "title", "author", "times_borrowed"
    )
    return JsonResponse({"books": list(books)})


@require_POST
async def borrow(request: HttpRequest, pk: int) -> HttpResponse:
    book = await aget_object_or_404(Book, pk=pk)
    # Borrowing must be recorded even while the site runs with
    # DJANGO_READ_ONLY=1; the scope covers this request only.
    async with temp_writes():
        await Book.objects.filter(pk=book.pk).aupdate(
            times_borrowed=F("times_borrowed") + 1
        )
    return JsonResponse({"borrowed": book.title})


def new_book(request: HttpRequest) -> HttpResponse:
    """
    A page with a form. While the site is read-only (`manage.py read_only on`)
    it shows the banner, and saving answers 503 with the read-only page.
    """
    if request.method == "POST":
        Book.objects.create(title=request.POST["title"], author=request.POST["author"])
        return redirect("new-book")
    books = Book.objects.order_by("-id")[:5]
    return render(request, "library/new_book.html", {"books": books})
