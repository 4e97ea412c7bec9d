"""The request's mesh context, built once per request, and the chrome every page shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django_htmx.middleware import HtmxDetails

from kiali_site.config import KialiConfig
from mesh.clusters.registry import Registry, current_registry

# Strategies whose login flow this build implements; others get a clear page, never a
# console that silently acts with the service account.
IMPLEMENTED_STRATEGIES = ("anonymous",)

# Kiali's navigation order; an item shows once its page exists (its URL name resolves).
NAVIGATION = [
    ("Overview", "overview"),
    ("Traffic Graph", "graph"),
    ("Mesh", "mesh"),
    ("Namespaces", "namespaces"),
    ("Applications", "applications"),
    ("Workloads", "workloads"),
    ("Services", "services"),
    ("Istio Config", "istio_config"),
]


@dataclass
class MeshContext:
    """Who asks and which clusters they reach; the registry is read only when a page needs it."""

    config: KialiConfig

    @cached_property
    def registry(self) -> Registry:
        return current_registry()

    def token_for(self, cluster: str) -> str | None:
        """The user's bearer token for a cluster; None means the console's own identity,
        which is what anonymous mode (the only strategy of this build) uses everywhere."""
        return None


class MeshRequest(HttpRequest):
    htmx: HtmxDetails
    mesh: MeshContext


class MeshContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        config: KialiConfig = settings.KIALI
        request.mesh = MeshContext(config)  # type: ignore[attr-defined]
        exempt = request.path.startswith(("/healthz", "/readyz", "/static/", "/admin/"))
        if not exempt and config.auth.strategy not in IMPLEMENTED_STRATEGIES:
            return render(
                request,
                "base/unavailable.html",
                {"strategy": config.auth.strategy, "implemented": IMPLEMENTED_STRATEGIES},
                status=503,
            )
        return self.get_response(request)


def navigation() -> list[tuple[str, str]]:
    items = []
    for label, name in NAVIGATION:
        try:
            items.append((label, reverse(name)))
        except NoReverseMatch:
            continue
    return items


def console(request: HttpRequest) -> dict[str, object]:
    return {"navigation": navigation(), "kiali": settings.KIALI}
