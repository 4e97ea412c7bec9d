"""Login, logout and per-cluster callback views, and the session's JSON description.

Every failure shows one generic message (or, for the token strategy, upstream's two known
reasons) and logs the detail: error text from an identity provider or a URL parameter can
be forged, so it is never reflected into the page.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kiali_site.access import namespace_for
from kiali_site.auth import openid, openshift
from kiali_site.auth.session import (
    AuthSession,
    begin_session,
    end_session,
    read_session,
    save_session,
)
from kiali_site.auth.tokens import LoginFailed, fingerprint, login_with_token
from kiali_site.config import KialiConfig
from kiali_site.context import MeshRequest
from mesh.clusters.registry import current_registry

log = logging.getLogger(__name__)

GENERIC_FAILURE = "Authentication failed. Try again, or ask an administrator to check the log."
EXPIRED = "Your session has expired or was ended in another window. Log in again."


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """Only a path on this site: no scheme, no other host, no `//host` or `/\\host` tricks."""
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return "/"
    if not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return candidate


def _config() -> KialiConfig:
    return settings.KIALI


@require_http_methods(["GET", "POST"])
def login_page(request: HttpRequest) -> HttpResponse:
    config = _config()
    strategy = config.auth.strategy
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if strategy == "anonymous":
        return HttpResponseRedirect(next_url)
    message = ""
    notice = ""
    if request.GET.get("bye"):
        notice = "You are logged out."
    if request.GET.get("expired"):
        message = EXPIRED
    elif request.GET.get("error"):
        # Whatever the parameter says, only the generic text is shown.
        log.info("login page shown after a failed login (%s)", request.GET.get("error", "")[:40])
        message = GENERIC_FAILURE
    if request.method == "POST":
        if strategy != "token":
            return HttpResponse(status=405)
        try:
            record = login_with_token(request, config, request.POST.get("token", ""))
        except LoginFailed as exc:
            log.warning("token login failed: %s", exc.detail)
            message = exc.public
        else:
            begin_session(request, record)
            return HttpResponseRedirect(next_url)
    elif read_session(request, strategy) is not None:
        return HttpResponseRedirect(next_url)
    elif not message and not notice and strategy in ("openid", "openshift"):
        # Nothing to tell the user: go straight to the provider, as upstream's UI does.
        return HttpResponseRedirect(_provider_start(strategy, next_url))
    context = {
        "strategy": strategy,
        "message": message,
        "notice": notice,
        "next": next_url,
        "start_url": _provider_start(strategy, next_url),
    }
    return render(request, "auth/login.html", context, status=401 if message else 200)


def _provider_start(strategy: str, next_url: str) -> str:
    query = urlencode({"next": next_url})
    if strategy == "openid":
        return f"{reverse('openid_redirect')}?{query}"
    if strategy == "openshift":
        return f"{reverse('openshift_redirect')}?{query}"
    return ""


@require_POST
def authenticate(request: HttpRequest) -> HttpResponse:
    """Upstream's token login API: form field `token`, answers {username, expiresOn}."""
    config = _config()
    if config.auth.strategy != "token":
        return JsonResponse({"error": "this console does not log in with tokens"}, status=400)
    try:
        record = login_with_token(request, config, request.POST.get("token", ""))
    except LoginFailed as exc:
        log.warning("token login failed: %s", exc.detail)
        end_session(request)
        return JsonResponse({"error": exc.public}, status=401)
    begin_session(request, record)
    return JsonResponse({"username": record.username, "expiresOn": record.expires_on})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """POST only (a link could log anyone out from another site); ends every cluster's
    session at once and, where the provider supports it, the provider's too."""
    config = _config()
    strategy = config.auth.strategy
    record = read_session(request, strategy)
    target = reverse("login")
    failures = []
    if record is not None:
        log.info("logout: strategy=%s user=%s", strategy, record.username)
        if strategy == "openshift":
            registry = current_registry()
            for cluster, token in record.tokens.items():
                if not openshift.revoke(config, registry, cluster, token.token):
                    failures.append(cluster)
        if strategy == "openid":
            target = openid.end_session_url(
                config, request.build_absolute_uri(f"{reverse('login')}?bye=1")
            )
            target = target or f"{reverse('login')}?bye=1"
    end_session(request)
    if failures:
        log.warning("logout: tokens of %s could not be deleted", ", ".join(failures))
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)


@require_GET
def auth_info(request: HttpRequest) -> JsonResponse:
    """Upstream's /api/auth/info: the strategy and who is logged in where; never a token."""
    config = _config()
    strategy = config.auth.strategy
    info: dict[str, object] = {"strategy": strategy}
    if strategy == "openid":
        info["authorizationEndpoint"] = request.build_absolute_uri(reverse("openid_redirect"))
    if strategy == "openshift":
        info["authorizationEndpoint"] = request.build_absolute_uri(reverse("openshift_redirect"))
        info["authorizationEndpointPerCluster"] = {
            name: request.build_absolute_uri(reverse("openshift_redirect_cluster", args=[name]))
            for name in config.auth.openshift.clusters
        }
    record = read_session(request, strategy)
    if record is not None:
        clusters = list(record.tokens) if strategy != "openid" else current_registry().names
        info["sessionInfo"] = {
            "username": record.username,
            "expiresOn": record.expires_on,
            "clusterInfo": {name: {"name": name} for name in clusters},
        }
    return JsonResponse(info)


def _failed(detail: str) -> HttpResponse:
    log.warning("login failed: %s", detail)
    return HttpResponseRedirect(f"{reverse('login')}?{urlencode({'error': 'login'})}")


@require_GET
def openshift_redirect(request: HttpRequest, cluster: str = "") -> HttpResponse:
    config = _config()
    if config.auth.strategy != "openshift":
        return _failed("OpenShift login asked for while the strategy is " + config.auth.strategy)
    registry = current_registry()
    cluster = cluster or registry.home
    if cluster not in registry.names:
        return _failed(f"OpenShift login for unknown cluster {cluster!r}")
    if cluster != registry.home and read_session(request, "openshift") is None:
        return _failed(f"login to {cluster} before the home cluster")
    try:
        url = openshift.start_login(
            request, config, registry, cluster, safe_next(request, request.GET.get("next"))
        )
    except LoginFailed as exc:
        return _failed(exc.detail)
    return HttpResponseRedirect(url)


@require_GET
def openshift_callback(request: HttpRequest, cluster: str = "") -> HttpResponse:
    config = _config()
    if config.auth.strategy != "openshift":
        return _failed("OpenShift callback while the strategy is " + config.auth.strategy)
    registry = current_registry()
    cluster = cluster or registry.home
    try:
        token, next_url = openshift.finish_login(request, config, registry, cluster)
    except LoginFailed as exc:
        return _failed(exc.detail)
    record = read_session(request, "openshift")
    if cluster == registry.home:
        if record is not None and record.username != token.username:
            record = None  # another person on this browser: start afresh
        if record is None:
            record = AuthSession("openshift", token.username, token.expires_on)
            record.tokens[cluster] = token
            begin_session(request, record)
        else:
            record.tokens[cluster] = token
            record.expires_on = token.expires_on
            begin_session(request, record)
    else:
        if record is None:
            return _failed(f"callback for {cluster} without a home-cluster session")
        record.tokens[cluster] = token
        save_session(request, record)
    log.info(
        "login: strategy=openshift cluster=%s user=%s token=%s client=%s",
        cluster,
        token.username,
        fingerprint(token.token),
        request.META.get("REMOTE_ADDR", ""),
    )
    return HttpResponseRedirect(safe_next(request, next_url))


@require_GET
def namespace_info(request: MeshRequest, namespace: str) -> JsonResponse:
    """A namespace's labels, through the same access check every namespace view makes."""
    cluster = request.GET.get("clusterName") or request.mesh.registry.home
    try:
        ns = namespace_for(request, cluster, namespace)
    except PermissionDenied:
        return JsonResponse(
            {"error": f"Namespace {namespace} in cluster {cluster} is not accessible."},
            status=403,
        )
    return JsonResponse({"cluster": ns.cluster, "name": ns.name, "labels": dict(ns.labels)})
