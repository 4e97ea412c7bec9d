"""The request's mesh context, built once per request, and the chrome every page shares."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from kiali_site.auth.session import AuthSession, end_session, read_session, save_session
from kiali_site.config import KialiConfig
from mesh.clusters.access import KubeconfigError
from mesh.clusters.registry import Registry, current_registry
from mesh.kube.errors import KubeError
from mesh.outages import Outage, current_outages

log = logging.getLogger(__name__)

# Paths served without a login: probes, static files, the admin (its own login), and the
# login flows themselves.
EXEMPT_PREFIXES = (
    "/healthz",
    "/readyz",
    "/metrics",
    "/static/",
    "/admin/",
    "/login/",
    "/api/auth/",
    "/api/authenticate",
)

# Kiali's navigation order and separators (SH-01); an item shows once its page exists (its
# URL name resolves). None is a separator.
NAVIGATION: list[tuple[str, str] | None] = [
    ("Overview", "overview"),
    ("Traffic Graph", "graph"),
    None,
    ("Mesh", "mesh"),
    ("Namespaces", "namespaces"),
    ("Applications", "applications"),
    ("Services", "services"),
    ("Workloads", "workloads"),
    None,
    ("Istio Config", "istio_config"),
]


@dataclass(frozen=True)
class NavItem:
    label: str = ""
    url: str = ""
    external: bool = False  # opens another console in a new tab

    @property
    def separator(self) -> bool:
        return not self.label


class SessionEnded(Exception):
    """The home cluster rejected the user's credential: the whole session is over."""


class NoClusterSession(PermissionDenied):
    """The user holds no credential for this cluster (not logged into it, or it was dropped)."""


@dataclass
class MeshContext:
    """Who asks and which clusters they reach; the registry is read only when a page needs it.

    `session` is the login record (None for anonymous). Clusters the user is not logged
    into are unreachable for them, never silently read with the console's own identity.
    """

    config: KialiConfig
    session: AuthSession | None = None
    _request: HttpRequest | None = field(default=None, repr=False)

    @cached_property
    def registry(self) -> Registry:
        return current_registry()

    @property
    def strategy(self) -> str:
        return self.config.auth.strategy

    @property
    def acts_as_console(self) -> bool:
        """Anonymous mode, and OpenID with RBAC disabled, read everything as the console."""
        return self.strategy == "anonymous" or (
            self.strategy == "openid" and self.config.auth.openid.disable_rbac
        )

    @property
    def username(self) -> str:
        if self.strategy == "anonymous":
            return "anonymous"
        return self.session.username if self.session else ""

    def reaches(self, cluster: str) -> bool:
        """Whether this request holds a credential for the cluster."""
        if self.acts_as_console:
            return True
        if self.session is None:
            return False
        if self.strategy == "openid":
            return bool(self.session.shared_token)
        return cluster in self.session.tokens

    def logged_in_clusters(self) -> list[str]:
        names = self.registry.names
        return [name for name in names if self.reaches(name)]

    def token_for(self, cluster: str) -> str | None:
        """The user's bearer token for a cluster; None means the console's own identity
        (anonymous mode, OpenID without RBAC). NoClusterSession when the user has none."""
        if self.acts_as_console:
            return None
        if not self.reaches(cluster) or self.session is None:
            raise NoClusterSession(f"You are not logged in to cluster {cluster}.")
        if self.strategy == "openid":
            return self.session.shared_token
        return self.session.tokens[cluster].token

    def credential_rejected(self, cluster: str) -> None:
        """A cluster answered 401 to the user's token: on the home cluster the session is
        over; on another cluster only that cluster's login is dropped."""
        if self.session is None or self.acts_as_console:
            return
        if cluster == self.registry.home:
            raise SessionEnded(cluster)
        if cluster in self.session.tokens:
            log.info("credential for cluster %s rejected; that cluster's login is dropped", cluster)
            del self.session.tokens[cluster]
            if self._request is not None and self.strategy != "header":
                save_session(self._request, self.session)


class MeshRequest(HttpRequest):
    htmx: HtmxDetails
    mesh: MeshContext


def header_refused(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Behind an authenticating proxy there is no login page to go to: the reason, or 401."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": reason or "authentication required"}, status=401)
    return render(request, "auth/header_missing.html", {"reason": reason}, status=401)


def login_url(request: HttpRequest, *, expired: bool = False) -> str:
    query = {"next": request.get_full_path()}
    if expired:
        query["expired"] = "1"
    return f"{reverse('login')}?{urlencode(query)}"


def login_required(request: HttpRequest, *, expired: bool = False) -> HttpResponse:
    """A full page goes to the login page; an HTMX request is told to navigate there (a 302
    would be followed by the XHR and the login page swapped into a fragment); the JSON API
    answers 401."""
    if request.path_info.startswith("/api/"):
        message = "session expired" if expired else "authentication required"
        return JsonResponse({"error": message}, status=401)
    # With `expired` the login page shows a message instead of going to the provider.
    target = login_url(request, expired=expired)
    if getattr(request, "htmx", None):
        current = request.headers.get("HX-Current-URL", "")
        if current:
            parsed = urlsplit(current)
            path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            query = {"next": path} | ({"expired": "1"} if expired else {})
            target = f"{reverse('login')}?{urlencode(query)}"
        return HttpResponseClientRedirect(target)
    return HttpResponseRedirect(target)


class MeshContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        config: KialiConfig = settings.KIALI
        mesh = MeshContext(config, _request=request)
        request.mesh = mesh  # type: ignore[attr-defined]
        strategy = config.auth.strategy
        if strategy == "anonymous" or request.path_info.startswith(EXEMPT_PREFIXES):
            return self.get_response(request)
        if strategy == "header":
            from kiali_site.auth.tokens import LoginFailed, session_from_header

            try:
                mesh.session = session_from_header(request, config)
            except LoginFailed as refused:
                return header_refused(request, refused.public)
            if mesh.session is None:
                return header_refused(request)
        else:
            mesh.session = read_session(request, strategy)
            if mesh.session is None:
                return login_required(request)
        try:
            self._check_home(request)
        except SessionEnded:
            return self._ended(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, SessionEnded):
            return self._ended(request)
        return None

    @staticmethod
    def _ended(request: HttpRequest) -> HttpResponse:
        log.info("the home cluster rejected the session's credential; session ended")
        end_session(request)
        if settings.KIALI.auth.strategy == "header":
            return header_refused(request)
        return login_required(request, expired=True)

    @staticmethod
    def _check_home(request: HttpRequest) -> None:
        """Upstream validates the credential on every request; here that is the (briefly
        cached) visible-namespace read on the home cluster, which a revoked token fails."""
        from kiali_site.access import namespaces_in

        mesh: MeshContext = request.mesh  # type: ignore[attr-defined]
        registry = mesh.registry
        home = registry.get(registry.home)
        if home is None or not home.reachable or registry.home not in registry.access:
            return
        if not mesh.reaches(registry.home):
            raise SessionEnded(registry.home)
        try:
            namespaces_in(request, registry.home)  # type: ignore[arg-type]
        except (KubeError, KubeconfigError, NoClusterSession) as exc:
            if isinstance(exc, NoClusterSession):
                raise SessionEnded(registry.home) from None
            log.warning("home cluster check failed: %s", exc)


def navigation() -> list[NavItem]:
    """The left navigation: pages that exist, separators between groups (never two in a row
    or one at the end), and Distributed Tracing when a tracing UI is configured."""
    items: list[NavItem] = []
    for entry in NAVIGATION:
        if entry is None:
            if items and not items[-1].separator:
                items.append(NavItem())
            continue
        try:
            items.append(NavItem(entry[0], reverse(entry[1])))
        except NoReverseMatch:
            continue
    tracing = settings.KIALI.external_services.tracing
    if tracing.enabled and tracing.external_url:
        items.append(NavItem("Distributed Tracing", tracing.external_url, external=True))
    while items and items[-1].separator:
        items.pop()
    return items


def outages_for(mesh: MeshContext) -> list[Outage]:
    """The dependencies this process knows to be down that the user depends on: Prometheus,
    and the clusters they hold a credential for."""
    return [o for o in current_outages() if not o.cluster or mesh.reaches(o.cluster)]


def masthead_istio_status(request: HttpRequest) -> object:
    """SH-07's indicator: the control planes the user sees, from the inventory snapshots."""
    from kiali_site.access import visible_namespaces
    from mesh.about import istio_status
    from mesh.inventory.store import cached_snapshot

    mesh: MeshContext = request.mesh  # type: ignore[attr-defined]
    if mesh.session is None and not mesh.acts_as_console:
        return None
    visible, errors = visible_namespaces(request)  # type: ignore[arg-type]
    names = {cluster: [ns.name for ns in found] for cluster, found in visible.items()}
    return istio_status(names, cached_snapshot, errors)


def console(request: HttpRequest) -> dict[str, object]:
    context: dict[str, object] = {"navigation": navigation(), "kiali": settings.KIALI}
    mesh = getattr(request, "mesh", None)
    if isinstance(mesh, MeshContext):
        from kiali_site.auth.menu import user_menu

        context["user_menu"] = lambda: user_menu(request)
        context["istio_status"] = lambda: masthead_istio_status(request)
        if mesh.session is not None or mesh.acts_as_console:
            context["outages"] = lambda: outages_for(mesh)
    return context
