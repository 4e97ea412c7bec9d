"""Sortable list columns: each header links to the same page sorted by its column, the
current column's link reversing the order. The sort lives in the query string, so a
sorted list can be bookmarked like any other view."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.http import QueryDict


@dataclass(frozen=True)
class SortLink:
    url: str  # the query string ("?…") that sorts by this column
    active: bool  # the list is sorted by this column now
    descending: bool  # ... in descending order


def sort_links(
    query: QueryDict, columns: Iterable[str], default: str, order_param: str = "order"
) -> dict[str, SortLink]:
    """Per column, its header's link; `order_param` is the page's name for the direction
    ("desc" or anything else for ascending)."""
    current = query.get("sort", default)
    descending = query.get(order_param) == "desc"
    links = {}
    for column in columns:
        active = column == current
        changed = query.copy()
        changed["sort"] = column
        changed[order_param] = "asc" if active and descending else ("desc" if active else "asc")
        links[column] = SortLink("?" + changed.urlencode(safe=","), active, active and descending)
    return links
