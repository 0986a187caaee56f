from __future__ import annotations

from django.urls import path

from library import views

urlpatterns = [
    path("", views.book_list, name="book-list"),
    path("books/<int:pk>/borrow/", views.borrow, name="borrow"),
    path("books/new/", views.new_book, name="new-book"),
]
