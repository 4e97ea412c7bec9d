"""OpenShift OAuth login, one cluster at a time (spec auth-and-clusters a.5 and c).

Each cluster runs its own OAuth server, so each cluster gets its own small OAuth client:
metadata from `/.well-known/oauth-authorization-server`, the code flow with PKCE (S256)
through requests-oauthlib, the user from `users/~`, and a token kept in the session under
that cluster's name. Unlike upstream, `state` is random, bound to the session and checked,
and the pending login expires after `auth.openid.authentication_timeout` seconds.

The OAuth server's address comes from `auth.openshift.clusters.<name>.oauth_server_url`
(clone-only) or else the cluster's API server, which is where OpenShift publishes the
metadata and serves `users/~` and the OAuthAccessToken API.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import threading
import time
from typing import Any

import requests
from django.http import HttpRequest
from django.urls import reverse
from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from requests_oauthlib import OAuth2Session

from kiali_site.auth.openid import tls_verify
from kiali_site.auth.session import OAUTH_STATE_KEY, ClusterToken
from kiali_site.auth.tokens import LoginFailed
from kiali_site.config import KialiConfig, OpenShiftClusterOAuth
from mesh.clusters.registry import Registry

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
SCOPE = ["user:full"]
DEFAULT_TOKEN_AGE = 86400
GENERIC = "Login failed. Try again, or ask an administrator to check the console's log."

_metadata_lock = threading.Lock()
_metadata: dict[str, dict[str, Any]] = {}


def cluster_oauth(config: KialiConfig, cluster: str) -> OpenShiftClusterOAuth:
    oauth = config.auth.openshift.clusters.get(cluster)
    if oauth is None or not oauth.client_id:
        raise LoginFailed(GENERIC, f"no OAuth client configured for cluster {cluster}")
    return oauth


def api_base(config: KialiConfig, registry: Registry, cluster: str) -> str:
    oauth = cluster_oauth(config, cluster)
    if oauth.oauth_server_url:
        return oauth.oauth_server_url.rstrip("/")
    if cluster not in registry.access:
        raise LoginFailed(GENERIC, f"cluster {cluster} is not reachable")
    return registry.access[cluster].server.rstrip("/")


def _verify(config: KialiConfig) -> bool | str:
    return tls_verify(config.auth.openshift.insecure_skip_verify_tls)


def oauth_metadata(config: KialiConfig, base: str) -> dict[str, Any]:
    with _metadata_lock:
        if base in _metadata:
            return _metadata[base]
    response = requests.get(
        f"{base}/.well-known/oauth-authorization-server",
        timeout=TIMEOUT_SECONDS,
        verify=_verify(config),
    )
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    if not document.get("authorization_endpoint") or not document.get("token_endpoint"):
        raise LoginFailed(GENERIC, f"OAuth metadata at {base} lacks endpoints")
    with _metadata_lock:
        _metadata[base] = document
    return document


def forget_oauth_metadata() -> None:
    with _metadata_lock:
        _metadata.clear()


def redirect_uri(request: HttpRequest, oauth: OpenShiftClusterOAuth, cluster: str) -> str:
    # reverse() carries server.web_root (the script prefix) when the console is under one.
    callback = reverse("openshift_callback_cluster", args=[cluster])
    return oauth.redirect_uri or request.build_absolute_uri(callback)


def start_login(
    request: HttpRequest, config: KialiConfig, registry: Registry, cluster: str, next_url: str
) -> str:
    """The authorize URL; the state and PKCE verifier stay in the server-side session."""
    oauth = cluster_oauth(config, cluster)
    try:
        metadata = oauth_metadata(config, api_base(config, registry, cluster))
    except (requests.RequestException, ValueError) as exc:
        raise LoginFailed(GENERIC, f"OAuth metadata of {cluster}: {type(exc).__name__}") from None
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    client = OAuth2Session(
        oauth.client_id, redirect_uri=redirect_uri(request, oauth, cluster), scope=SCOPE
    )
    url, state = client.authorization_url(
        metadata["authorization_endpoint"],
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    pending = dict(request.session.get(OAUTH_STATE_KEY) or {})
    pending[cluster] = {
        "state": state,
        "verifier": verifier,
        "started": time.time(),
        "next": next_url,
    }
    request.session[OAUTH_STATE_KEY] = pending
    return str(url)


def finish_login(
    request: HttpRequest, config: KialiConfig, registry: Registry, cluster: str
) -> tuple[ClusterToken, str]:
    """Check the state, exchange the code with the verifier, name the user.

    The pending login is removed first, so a replayed callback finds nothing to match."""
    pending = dict(request.session.get(OAUTH_STATE_KEY) or {})
    started = pending.pop(cluster, None)
    request.session[OAUTH_STATE_KEY] = pending
    if not isinstance(started, dict):
        raise LoginFailed(GENERIC, f"callback for {cluster} without a login in progress")
    state = request.GET.get("state", "")
    if not hmac.compare_digest(state.encode(), str(started.get("state", "")).encode()):
        raise LoginFailed(GENERIC, f"callback for {cluster} with a state that does not match")
    if time.time() - float(started.get("started", 0)) > config.auth.openid.authentication_timeout:
        raise LoginFailed(GENERIC, f"login to {cluster} took too long")
    if request.GET.get("error"):
        raise LoginFailed(
            GENERIC,
            f"OAuth server of {cluster} answered {request.GET.get('error')!r}: "
            f"{request.GET.get('error_description', '')[:200]!r}",
        )
    code = request.GET.get("code", "")
    if not code:
        raise LoginFailed(GENERIC, f"callback for {cluster} without a code")
    oauth = cluster_oauth(config, cluster)
    base = api_base(config, registry, cluster)
    client = OAuth2Session(
        oauth.client_id, redirect_uri=redirect_uri(request, oauth, cluster), state=state
    )
    try:
        metadata = oauth_metadata(config, base)
        token = client.fetch_token(
            metadata["token_endpoint"],
            code=code,
            client_secret=oauth.client_secret.value() or None,
            include_client_id=True,
            code_verifier=str(started["verifier"]),
            verify=_verify(config),
            timeout=TIMEOUT_SECONDS,
        )
    except OAuth2Error as exc:
        raise LoginFailed(GENERIC, f"code exchange with {cluster}: {exc.error}") from None
    except (requests.RequestException, ValueError) as exc:
        raise LoginFailed(GENERIC, f"code exchange with {cluster}: {type(exc).__name__}") from None
    access_token = str(token.get("access_token") or "")
    if not access_token:
        raise LoginFailed(GENERIC, f"code exchange with {cluster}: no access token")
    username = current_user(config, base, access_token)
    if not username:
        raise LoginFailed(GENERIC, f"users/~ on {cluster} did not name the user")
    expires_in = token.get("expires_in") or DEFAULT_TOKEN_AGE
    expires_on = time.time() + float(expires_in)
    return ClusterToken(access_token, expires_on, username), str(started.get("next") or "/")


def current_user(config: KialiConfig, base: str, token: str) -> str:
    try:
        response = requests.get(
            f"{base}/apis/user.openshift.io/v1/users/~",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=TIMEOUT_SECONDS,
            verify=_verify(config),
        )
    except requests.RequestException as exc:
        raise LoginFailed(GENERIC, f"users/~ at {base}: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise LoginFailed(GENERIC, f"users/~ at {base}: HTTP {response.status_code}")
    name = (response.json().get("metadata") or {}).get("name")
    return name if isinstance(name, str) else ""


def token_object_name(token: str) -> str:
    """OpenShift names an OAuthAccessToken after the hash of the token it stands for."""
    raw = token.removeprefix("sha256~")
    digest = hashlib.sha256(raw.encode()).digest()
    return "sha256~" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def revoke(config: KialiConfig, registry: Registry, cluster: str, token: str) -> bool:
    """Delete the cluster's OAuthAccessToken so the token dies with the session, not a day
    later. Not-found counts as done; any other failure is reported, never hidden."""
    try:
        base = api_base(config, registry, cluster)
        response = requests.delete(
            f"{base}/apis/oauth.openshift.io/v1/oauthaccesstokens/{token_object_name(token)}",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=TIMEOUT_SECONDS,
            verify=_verify(config),
        )
    except (LoginFailed, requests.RequestException) as exc:
        log.warning("logout: token deletion on %s failed: %s", cluster, type(exc).__name__)
        return False
    if response.status_code in (200, 202, 204, 404, 401):
        # 401: the token was already gone (expired or deleted elsewhere).
        return True
    log.warning("logout: token deletion on %s answered HTTP %s", cluster, response.status_code)
    return False
