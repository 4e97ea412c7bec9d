"""The scope a user chose (namespaces, cluster, time range, refresh) follows them from page
to page, as Kiali's does.

The URL stays the one source of truth, so a bookmark or a shared link shows what it says:
a page opened without some of these parameters is redirected to itself with the ones the
user last chose (kept in their session), and whatever a URL carries becomes the new
choice. Before a first choice, `ui_defaults.namespaces` is the selection.

A URL holds the namespaces once, comma-separated (`namespaces=a,b`); the namespace menu's
checkboxes submit one parameter each, plus an empty one so that "none chosen" is told
apart from "not said", and such a query is rewritten to the one-parameter form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict

SESSION_KEY = "console_scope"
NAMESPACES = "namespaces"
CLUSTER = "clusterName"
DURATION = "duration"
REFRESH = "refresh"
KEYS = (NAMESPACES, CLUSTER, DURATION, REFRESH)
MAX_VALUE = 4000  # a longer value is not a choice anyone made in the menus: not kept


def joined_namespaces(values: Iterable[str]) -> str:
    """Every namespace named in the `namespaces` parameters, once each, in their order."""
    names: list[str] = []
    for value in values:
        for name in value.split(","):
            name = name.strip()
            if name and name not in names:
                names.append(name)
    return ",".join(names)


def _defaults() -> dict[str, str]:
    ui = settings.KIALI.kiali_feature_flags.ui_defaults
    return {NAMESPACES: joined_namespaces(ui.namespaces)} if ui.namespaces else {}


def remembered_scope(request: HttpRequest) -> dict[str, str]:
    session = getattr(request, "session", None)
    stored = session.get(SESSION_KEY) if session is not None else None
    if isinstance(stored, dict):
        return {k: v for k, v in stored.items() if k in KEYS and isinstance(v, str)}
    return _defaults()


def _remember(request: HttpRequest, chosen: dict[str, str]) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    current = remembered_scope(request)
    merged = current | {k: v for k, v in chosen.items() if len(v) <= MAX_VALUE}
    if merged != session.get(SESSION_KEY):
        session[SESSION_KEY] = merged


def canonical_query(query: QueryDict, remembered: dict[str, str], keys: Iterable[str]) -> QueryDict:
    """`query` with each of `keys` it lacks filled from `remembered`, and the namespaces in
    one comma-separated parameter."""
    result = query.copy()
    if NAMESPACES in result:
        result.setlist(NAMESPACES, [joined_namespaces(result.getlist(NAMESPACES))])
    for key in keys:
        if key not in result and key in remembered:
            result[key] = remembered[key]
    return result


def scoped_page(*keys: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A page whose `keys` (of KEYS) follow the user: see the module's docstring."""
    unknown = set(keys) - set(KEYS)
    if unknown:
        raise ValueError(f"not scope parameters: {sorted(unknown)}")

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "GET":
                return view(request, *args, **kwargs)
            query = canonical_query(request.GET, remembered_scope(request), keys)
            _remember(request, {k: str(query.get(k, "")) for k in KEYS if k in request.GET})
            if query == request.GET:
                return view(request, *args, **kwargs)
            url = f"{request.path}?{query.urlencode(safe=',')}"
            htmx = getattr(request, "htmx", None)
            if not htmx:
                return HttpResponseRedirect(url)
            # An HTMX swap already asked for this page: answer it, and put the canonical
            # URL in the address bar instead of the one the form built.
            query._mutable = False
            request.GET = query  # type: ignore[assignment]
            response = view(request, *args, **kwargs)
            response["HX-Push-Url"] = url
            return response

        return wrapper

    return decorate
