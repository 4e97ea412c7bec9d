"""One place decides between a whole page and its HTMX partial."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_page(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any],
    *,
    partial: str = "content",
    status: int = 200,
) -> HttpResponse:
    """The `partial` of `template` for a non-boosted HTMX request, the whole page otherwise."""
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted:
        template = f"{template}#{partial}"
    return render(request, template, context, status=status)
