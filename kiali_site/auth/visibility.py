"""Which namespaces an identity may see in one cluster (spec auth-and-clusters d).

The console's service account bounds everything: a user never sees a namespace the console
itself cannot see. A user's own token narrows that set by a list call, or by a GET per
namespace when listing is forbidden. Discovery selectors then filter what is shown. Results
are cached per (cluster, identity) for `cache_token_namespace_duration`; the identity key is
a hash, so no token is stored as a cache key.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable

from django.core.cache import cache
from kubernetes.client import ApiClient

from kiali_site.config import KialiConfig, LabelSelector
from mesh.kube.errors import KubeForbidden
from mesh.kube.namespaces import Namespace, get_namespace, list_namespaces
from mesh.kube.selectors import matches_selector
from mesh.own_metrics import cache_lookup

HIDDEN_WITHOUT_SELECTORS = re.compile(
    r"^(kube-.*|openshift.*|ibm.*|kiali-operator|istio-operator)$"
)


def _selectors(config: KialiConfig, cluster: str) -> list[LabelSelector] | None:
    selectors = config.deployment.discovery_selectors
    if cluster in selectors.overrides:
        return selectors.overrides[cluster]
    return selectors.default


def discovery_filter(
    config: KialiConfig, cluster: str, namespaces: Iterable[Namespace], control_planes: set[str]
) -> list[Namespace]:
    """Selectors are ORed; control-plane namespaces always pass when selectors exist."""
    selectors = _selectors(config, cluster)
    kept = []
    for ns in namespaces:
        if selectors is None:
            visible = not HIDDEN_WITHOUT_SELECTORS.match(ns.name)
        else:
            visible = ns.name in control_planes or any(
                matches_selector(ns.labels, s.matchLabels, s.matchExpressions) for s in selectors
            )
        if visible:
            kept.append(ns)
    return kept


# How long an identity's last good read of a cluster's namespaces is kept to show while
# the cluster is unreachable (marked stale, with its time).
LAST_KNOWN_TIMEOUT = 86400


def _last_known_key(cluster: str, token: str | None) -> str:
    return f"visible-ns-last:{cluster}:{identity_key(token)}"


def last_known_namespaces(cluster: str, token: str | None) -> tuple[float, list[Namespace]] | None:
    """(when it was read, the namespaces) this identity last saw in the cluster, if any."""
    found: tuple[float, list[Namespace]] | None = cache.get(_last_known_key(cluster, token))
    return found


def identity_key(token: str | None) -> str:
    if token is None:
        return "service-account"
    return "user-" + hashlib.sha256(token.encode()).hexdigest()


def _narrow_to_user(
    cluster: str, console_sees: list[Namespace], user_client: ApiClient, require_get: bool
) -> list[Namespace]:
    if not require_get:
        try:
            allowed = {ns.name for ns in list_namespaces(user_client, cluster)}
            return [ns for ns in console_sees if ns.name in allowed]
        except KubeForbidden:
            pass  # the user may still GET some namespaces one by one
    kept = []
    for ns in console_sees:
        try:
            if get_namespace(user_client, cluster, ns.name) is not None:
                kept.append(ns)
        except KubeForbidden:
            continue
    return kept


def visible_namespaces_in(
    config: KialiConfig,
    cluster: str,
    service_client: ApiClient,
    user_client: ApiClient | None = None,
    *,
    token: str | None = None,
    control_planes: set[str] | frozenset[str] = frozenset(),
) -> list[Namespace]:
    """The namespaces of `cluster` this identity sees; `user_client` None means the console's
    own identity (anonymous mode, or OpenID with RBAC disabled). KubeError propagates."""
    key = f"visible-ns:{cluster}:{identity_key(token)}"
    cached: list[Namespace] | None = cache.get(key)
    cache_lookup("visible-namespaces", cached is not None)
    if cached is not None:
        return cached
    console_sees = [
        Namespace(
            ns.cluster, ns.name, ns.labels, ns.annotations, ns.created, ns.name in control_planes
        )
        for ns in list_namespaces(service_client, cluster)
    ]
    if user_client is not None:
        console_sees = _narrow_to_user(cluster, console_sees, user_client, require_get=False)
    visible = sorted(
        discovery_filter(config, cluster, console_sees, set(control_planes)), key=lambda ns: ns.name
    )
    cache.set(key, visible, timeout=config.kubernetes_config.cache_token_namespace_duration)
    cache.set(_last_known_key(cluster, token), (time.time(), visible), timeout=LAST_KNOWN_TIMEOUT)
    return visible
