"""Bearer tokens checked against the home cluster: the token and header strategies.

Both strategies hand the console a Kubernetes token it did not issue. The home cluster
decides what it is worth: a TokenReview (run as the console, which may create them) names
the owner and says whether the token is authenticated at all, which upstream never checked;
the namespace listing with the token itself is what the session is then held to.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

import jwt
from django.core.cache import cache
from django.http import HttpRequest

from kiali_site.auth.session import AuthSession, ClusterToken
from kiali_site.auth.visibility import visible_namespaces_in
from kiali_site.config import KialiConfig
from mesh.clusters.access import KubeconfigError
from mesh.clusters.registry import Registry, current_registry
from mesh.kube.access import post_json
from mesh.kube.errors import KubeError, KubeForbidden, KubeUnauthorized

log = logging.getLogger(__name__)

SA_PREFIX = "system:serviceaccount:"
INVALID = "token is not valid or is expired"
UNAVAILABLE = "the home cluster cannot be reached to check the token; try again later"
# Upstream's words for a valid token that may read no namespace of the home cluster.
NO_PRIVILEGES = "not enough privileges to login"
REVIEW_PATH = "/apis/authentication.k8s.io/v1/tokenreviews"


class LoginFailed(Exception):
    """`public` may be shown to the user; `detail` goes to the log only."""

    def __init__(self, public: str, detail: str) -> None:
        super().__init__(public)
        self.public = public
        self.detail = detail


@dataclass(frozen=True)
class Review:
    authenticated: bool
    username: str = ""
    groups: tuple[str, ...] = ()


def fingerprint(token: str) -> str:
    """What the audit log records instead of the token (upstream: 16 hex chars of SHA-256)."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def display_name(username: str) -> str:
    return username.removeprefix(SA_PREFIX)


def review_token(registry: Registry, token: str) -> Review | None:
    """A TokenReview on the home cluster; None when the console may not create one."""
    access = registry.access[registry.home]
    body = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenReview",
        "spec": {"token": token},
    }
    try:
        answer = post_json(access.service_client(), registry.home, REVIEW_PATH, body)
    except KubeForbidden:
        return None
    status = answer.get("status") or {}
    user = status.get("user") or {}
    if not status.get("authenticated") or status.get("error"):
        return Review(False)
    return Review(True, str(user.get("username", "")), tuple(user.get("groups") or ()))


def _jwt_subject(token: str) -> str:
    """Upstream's fallback name: the token's `sub`, read without trusting it (display only)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return ""
    sub = claims.get("sub")
    return sub if isinstance(sub, str) else ""


def login_with_token(request: HttpRequest, config: KialiConfig, token: str) -> AuthSession:
    """The session a pasted token opens; LoginFailed with a reason fit for the page."""
    token = token.strip()
    if not token:
        raise LoginFailed(INVALID, "empty token")
    registry = current_registry()
    home = registry.home
    if home not in registry.access:
        raise LoginFailed(UNAVAILABLE, f"no access to home cluster {home}")
    access = registry.access[home]
    try:
        review = review_token(registry, token)
        if review is not None and not review.authenticated:
            raise LoginFailed(INVALID, "TokenReview: not authenticated")
        # The same check every later request makes, so a token that logs in also works.
        visible = visible_namespaces_in(
            config, home, access.service_client(), access.user_client(token), token=token
        )
    except KubeUnauthorized:
        raise LoginFailed(INVALID, "home cluster answered 401 to the token") from None
    except (KubeError, KubeconfigError) as exc:
        raise LoginFailed(UNAVAILABLE, f"home cluster check failed: {exc}") from None
    name = review.username if review is not None else _jwt_subject(token)
    username = display_name(name) or "token"
    if not visible:
        raise LoginFailed(NO_PRIVILEGES, f"user {username} may read no namespace of {home}")
    expires_on = time.time() + config.login_token.expiration_seconds
    log.info(
        "login: strategy=token user=%s token=%s client=%s",
        username,
        fingerprint(token),
        request.META.get("REMOTE_ADDR", ""),
    )
    return AuthSession(
        strategy="token",
        username=username,
        expires_on=expires_on,
        tokens={home: ClusterToken(token, expires_on, username)},
    )


def session_from_header(request: HttpRequest, config: KialiConfig) -> AuthSession | None:
    """Header strategy: the trusted proxy's bearer token, on every request. The owner comes
    from a TokenReview (cached briefly by the token's hash), never from a client header.

    None when there is no token the cluster accepts; LoginFailed(NO_PRIVILEGES) when the
    token is valid but may read no namespace of the home cluster, as a token login is
    refused."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    key = f"header-review:{hashlib.sha256(token.encode()).hexdigest()}"
    username: str | None = cache.get(key)
    if username is None:
        registry = current_registry()
        if registry.home not in registry.access:
            return None
        try:
            review = review_token(registry, token)
        except (KubeError, KubeconfigError) as exc:
            log.warning("header login: TokenReview failed: %s", exc)
            return None
        if review is None or not review.authenticated:
            log.info("header login refused: token=%s not authenticated", fingerprint(token))
            return None
        username = display_name(review.username) or "token"
        cache.set(key, username, timeout=config.kubernetes_config.cache_token_namespace_duration)
    registry = current_registry()
    home = registry.home
    if home in registry.access and not _reads_any_namespace(config, registry, token):
        log.info("header login refused: user=%s may read no namespace of %s", username, home)
        raise LoginFailed(NO_PRIVILEGES, f"user {username} may read no namespace of {home}")
    expires_on = time.time() + config.login_token.expiration_seconds
    return AuthSession(
        strategy="header",
        username=username,
        expires_on=expires_on,
        tokens={home: ClusterToken(token, expires_on, username)},
    )


def _reads_any_namespace(config: KialiConfig, registry: Registry, token: str) -> bool:
    """The visible-namespace read every request makes anyway (cached per token), so this
    costs nothing more; a cluster that cannot answer is not taken as a refusal here, the
    pages say it is unreachable."""
    access = registry.access[registry.home]
    try:
        visible = visible_namespaces_in(
            config, registry.home, access.service_client(), access.user_client(token), token=token
        )
    except KubeUnauthorized:
        return False
    except (KubeError, KubeconfigError) as exc:
        log.warning("header login: namespaces of %s unavailable: %s", registry.home, exc)
        return True
    return bool(visible)
