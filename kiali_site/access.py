"""Access first: every view resolves its cluster and namespace here before reading anything.

`cluster_for` and `namespace_for` raise Http404 for what does not exist, PermissionDenied
(403) for what this request may not see, and Unavailable (503) for a cluster that does not
answer, with messages that name nothing the caller could not already name.

A cluster that stops answering stays in lists: each identity's last good read of its
namespaces is shown, marked stale, until it answers again.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from django.core.exceptions import PermissionDenied
from django.http import Http404

from kiali_site.auth.visibility import last_known_namespaces, visible_namespaces_in
from kiali_site.budgets import Unavailable
from kiali_site.context import MeshRequest, NoClusterSession
from mesh.clusters.access import KubeconfigError
from mesh.clusters.registry import ClusterInfo
from mesh.deadline import in_context
from mesh.kube.access import cluster_state
from mesh.kube.errors import ClusterUnreachable, KubeError, KubeUnauthorized
from mesh.kube.namespaces import Namespace
from mesh.outages import clock
from mesh.viewer import Viewer

log = logging.getLogger(__name__)


def cluster_for(request: MeshRequest, name: str) -> ClusterInfo:
    info = request.mesh.registry.get(name)
    if info is None:
        raise Http404(f"There is no cluster named {name!r}.")
    if not info.accessible:
        raise PermissionDenied(f"Cluster {name} cannot be read: {info.reason}")
    if unreachable := unreachable_reason(request, name):
        raise Unavailable(f"Cluster {name} is {unreachable}.")
    return info


def unreachable_reason(request: MeshRequest, cluster: str) -> str:
    """ "unreachable since <time> (<reason>)" while the cluster is known not to answer (this
    process's breaker, or the registry's last probe); "" otherwise."""
    outage = cluster_state(cluster).outage
    if outage is not None:
        return f"unreachable since {clock(outage.since)} ({outage.reason})"
    info = request.mesh.registry.get(cluster)
    if info is not None and info.accessible and not info.reachable:
        return f"unreachable ({info.reason})"
    return ""


def namespaces_in(request: MeshRequest, cluster: str) -> list[Namespace]:
    """The namespaces this request sees in one cluster (cached briefly per identity).

    NoClusterSession when the user holds no credential for the cluster, or the cluster has
    just rejected it (then that cluster's login is dropped; on the home cluster the whole
    session ends with SessionEnded)."""
    registry = request.mesh.registry
    access = registry.access[cluster]
    token = request.mesh.token_for(cluster)
    user_client = access.user_client(token) if token is not None else None
    try:
        return visible_namespaces_in(
            request.mesh.config, cluster, access.service_client(), user_client, token=token
        )
    except KubeUnauthorized:
        if token is None:
            raise
        request.mesh.credential_rejected(cluster)
        raise NoClusterSession(f"Cluster {cluster} no longer accepts your login.") from None


def _last_known(
    request: MeshRequest, cluster: str, reason: str
) -> tuple[list[Namespace] | None, str]:
    """While a cluster does not answer: what this identity last saw of it, and the reason
    with the time of that read; (None, reason) when nothing was ever read."""
    try:
        token = request.mesh.token_for(cluster)
    except NoClusterSession:
        return None, ""
    found = last_known_namespaces(cluster, token)
    if found is None:
        return None, reason
    when, namespaces = found
    return namespaces, f"{reason}; showing what was read at {clock(when)}"


def visible_namespaces(request: MeshRequest) -> tuple[dict[str, list[Namespace]], dict[str, str]]:
    """Per mesh cluster, the visible namespaces; and per cluster that failed, why. An
    unreachable cluster keeps the namespaces last read (its reason says so and when)."""
    mesh = request.mesh
    registry = mesh.registry
    clusters = [c.name for c in registry.readable_clusters if mesh.reaches(c.name)]
    visible: dict[str, list[Namespace]] = {}
    errors: dict[str, str] = {}

    def one(cluster: str) -> tuple[str, list[Namespace] | None, str]:
        if unreachable := unreachable_reason(request, cluster):
            return cluster, *_last_known(request, cluster, unreachable)
        try:
            return cluster, namespaces_in(request, cluster), ""
        except NoClusterSession:
            # Not an error: the cluster simply contributes nothing until the user logs in.
            return cluster, None, ""
        except ClusterUnreachable as exc:
            log.warning("namespaces of %s unavailable: %s", cluster, exc)
            reason = unreachable_reason(request, cluster) or f"unreachable ({exc.message})"
            return cluster, *_last_known(request, cluster, reason)
        except (KubeError, KubeconfigError) as exc:
            log.warning("namespaces of %s unavailable: %s", cluster, exc)
            return cluster, None, getattr(exc, "message", str(exc))

    with ThreadPoolExecutor(max_workers=max(1, min(8, len(clusters)))) as pool:
        for cluster, namespaces, error in pool.map(in_context(one), clusters):
            if error:
                errors[cluster] = error
            if namespaces is not None:
                visible[cluster] = namespaces
    return visible, errors


def namespace_for(request: MeshRequest, cluster: str, name: str) -> Namespace:
    """403 for a namespace this request may not see, whether or not it exists, so that a
    typed URL reveals nothing about namespaces outside the caller's reach."""
    cluster_for(request, cluster)
    if not request.mesh.reaches(cluster):
        raise NoClusterSession(f"Namespace {name} in cluster {cluster} is not accessible.")
    try:
        namespaces = namespaces_in(request, cluster)
    except NoClusterSession:
        message = f"Namespace {name} in cluster {cluster} is not accessible."
        raise NoClusterSession(message) from None
    except ClusterUnreachable as exc:
        reason = unreachable_reason(request, cluster) or f"unreachable ({exc.message})"
        raise Unavailable(f"Cluster {cluster} is {reason}.") from None
    except (KubeError, KubeconfigError) as exc:
        raise PermissionDenied(f"Namespaces of cluster {cluster} cannot be read: {exc}") from None
    for ns in namespaces:
        if ns.name == name:
            return ns
    raise PermissionDenied(f"Namespace {name} in cluster {cluster} is not accessible.")


def viewer_in(request: MeshRequest, cluster: str) -> Viewer:
    """The request's reach in one cluster, for pages about one object: every name they show
    from elsewhere in the cluster is checked against it."""
    try:
        names = [ns.name for ns in namespaces_in(request, cluster)]
    except (NoClusterSession, KubeError, KubeconfigError):
        names = []
    return Viewer.of({cluster: names})
