"""Access first: every view resolves its cluster and namespace here before reading anything.

`cluster_for` and `namespace_for` raise Http404 for what does not exist and PermissionDenied
(403) for what this request may not see, with messages that name nothing the caller could
not already name.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from django.core.exceptions import PermissionDenied
from django.http import Http404

from kiali_site.auth.visibility import visible_namespaces_in
from kiali_site.context import MeshRequest, NoClusterSession
from mesh.clusters.access import KubeconfigError
from mesh.clusters.registry import ClusterInfo
from mesh.kube.errors import KubeError, KubeUnauthorized
from mesh.kube.namespaces import Namespace
from mesh.viewer import Viewer

log = logging.getLogger(__name__)


def cluster_for(request: MeshRequest, name: str) -> ClusterInfo:
    info = request.mesh.registry.get(name)
    if info is None:
        raise Http404(f"There is no cluster named {name!r}.")
    if not info.accessible or not info.reachable:
        raise PermissionDenied(f"Cluster {name} cannot be read: {info.reason}")
    return info


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


def visible_namespaces(request: MeshRequest) -> tuple[dict[str, list[Namespace]], dict[str, str]]:
    """Per mesh cluster, the visible namespaces; and per cluster that failed, why."""
    mesh = request.mesh
    clusters = [c.name for c in mesh.registry.mesh_clusters if mesh.reaches(c.name)]
    visible: dict[str, list[Namespace]] = {}
    errors: dict[str, str] = {}

    def one(cluster: str) -> tuple[str, list[Namespace] | None, str]:
        try:
            return cluster, namespaces_in(request, cluster), ""
        except NoClusterSession:
            # Not an error: the cluster simply contributes nothing until the user logs in.
            return cluster, None, ""
        except (KubeError, KubeconfigError) as exc:
            log.warning("namespaces of %s unavailable: %s", cluster, exc)
            return cluster, None, getattr(exc, "message", str(exc))

    with ThreadPoolExecutor(max_workers=max(1, min(8, len(clusters)))) as pool:
        for cluster, namespaces, error in pool.map(one, clusters):
            if namespaces is None:
                if error:
                    errors[cluster] = error
            else:
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
