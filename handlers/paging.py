"""Long lists shown a page at a time, with previous/next buttons."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from handlers.context import Context
from handlers.types import Choice

T = TypeVar("T")

PAGE_SIZE = 8


def page_of(items: Sequence[T], page: int, size: int = PAGE_SIZE) -> tuple[Sequence[T], int, int]:
    """The items of one page (clamped to the last), the page number used and the page count."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 0), pages - 1)
    return items[page * size : (page + 1) * size], page, pages


def parse_page(arg: str) -> int:
    return int(arg) if arg.isdecimal() and len(arg) < 6 else 0


def paged_choices(
    ctx: Context,
    items: Sequence[T],
    page: int,
    item_choice: Callable[[T], Choice],
    page_action: str,
) -> tuple[list[Choice], str]:
    """Choices for one page plus navigation, and a "page 2 of 5" caption."""
    shown, page, pages = page_of(items, page)
    choices = [item_choice(item) for item in shown]
    t = ctx.t
    if page > 0:
        choices.append(ctx.choice(t("« Previous"), page_action, page - 1))
    if page < pages - 1:
        choices.append(ctx.choice(t("Next »"), page_action, page + 1))
    caption = t("Page {page} of {pages}", page=page + 1, pages=pages) if pages > 1 else ""
    return choices, caption
