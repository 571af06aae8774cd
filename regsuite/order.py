"""Judging paginated lists (tags, catalog): order, pages, and what a page should hold.

The spec accepts two orders for tags: lexical (case-insensitive) and
"ASCIIbetical" (Go's sort.Strings, byte order). A list in either passes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

OrderKey = Callable[[str], str]


def _byte_order(item: str) -> str:
    return item


def _case_insensitive(item: str) -> str:
    return item.lower()


def order_of(items: Sequence[str]) -> OrderKey | None:
    """The order `items` follow (byte order first), or None when they follow neither."""
    for key in (_byte_order, _case_insensitive):
        if all(key(a) <= key(b) for a, b in zip(items, items[1:], strict=False)):
            return key
    return None


def first_disorder(items: Sequence[str]) -> tuple[int, str, str] | None:
    """Where byte order breaks first: (index, item, next item)."""
    for i, (a, b) in enumerate(zip(items, items[1:], strict=False)):
        if a > b:
            return i, a, b
    return None


def after(items: Sequence[str], last: str, key: OrderKey = _byte_order) -> list[str]:
    """The items that come after `last` in the given order."""
    return sorted((i for i in items if key(i) > key(last)), key=key)


def duplicates(items: Sequence[str]) -> list[str]:
    return sorted(item for item, count in Counter(items).items() if count > 1)


def just_before(name: str) -> str:
    """A string that sorts right before `name` (for a `last=` that lands on it)."""
    return name[:-1] if len(name) > 1 else ""
