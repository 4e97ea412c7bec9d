"""Kubernetes and Istio objects the appenders read, listed once per cluster and kind.

Appenders take an `ObjectLister` (cluster, group/version, plural -> raw dicts of every
namespace), so they are pure functions of what was listed and unit tests hand them dicts.
`ClusterObjects` is the real one: one cluster-wide list per kind and request with the
console's service account, falling back to one list per needed namespace when RBAC forbids
cluster-wide reads; a cluster that fails to answer reads as empty (badges are optional).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mesh.kube.errors import KubeError, KubeForbidden

log = logging.getLogger(__name__)

ObjectLister = Callable[[str, str, str], list[dict[str, Any]]]

WORKLOAD_KINDS = (
    ("apps/v1", "deployments"),
    ("apps/v1", "statefulsets"),
    ("apps/v1", "daemonsets"),
)
ISTIO_NETWORKING = "networking.istio.io/v1"
# The labels a workload's app and version are read from, first found wins.
APP_LABELS = ("service.istio.io/canonical-name", "app")
VERSION_LABELS = ("service.istio.io/canonical-revision", "version")


class ClusterObjects:
    """A per-request cache of cluster-wide lists; thread-safe so appenders may share it."""

    def __init__(
        self,
        clients: Mapping[str, Callable[[], Any]],
        namespaces: Mapping[str, Iterable[str]],
    ) -> None:
        self._clients = clients
        self._namespaces = {c: sorted(set(ns)) for c, ns in namespaces.items()}
        self._cache: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def __call__(self, cluster: str, group_version: str, plural: str) -> list[dict[str, Any]]:
        key = (cluster, group_version, plural)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        items = self._list(cluster, group_version, plural)
        with self._lock:
            self._cache[key] = items
        return items

    def _list(self, cluster: str, group_version: str, plural: str) -> list[dict[str, Any]]:
        from mesh.kube.access import list_items

        factory = self._clients.get(cluster)
        if factory is None:
            return []
        try:
            client = factory()
            try:
                return list_items(client, cluster, group_version, plural)
            except KubeForbidden:
                items: list[dict[str, Any]] = []
                for namespace in self._namespaces.get(cluster, ()):
                    items += list_items(client, cluster, group_version, plural, namespace=namespace)
                return items
        except KubeError as exc:
            log.warning("graph: %s %s unavailable: %s", plural, cluster, exc)
            return []


def namespace_of(item: Mapping[str, Any]) -> str:
    return str((item.get("metadata") or {}).get("namespace", ""))


def name_of(item: Mapping[str, Any]) -> str:
    return str((item.get("metadata") or {}).get("name", ""))


def in_namespace(items: Iterable[dict[str, Any]], namespace: str) -> list[dict[str, Any]]:
    return [i for i in items if namespace_of(i) == namespace]


@dataclass
class Workload:
    cluster: str
    namespace: str
    name: str
    labels: dict[str, str]  # the pod template's labels
    pods: list[dict[str, Any]] = field(default_factory=list)

    @property
    def app(self) -> str:
        return next((self.labels[n] for n in APP_LABELS if self.labels.get(n)), "")

    @property
    def version(self) -> str:
        return next((self.labels[n] for n in VERSION_LABELS if self.labels.get(n)), "")


def _selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def has_sidecar(pod: Mapping[str, Any]) -> bool:
    meta = pod.get("metadata") or {}
    if "sidecar.istio.io/status" in (meta.get("annotations") or {}):
        return True
    containers = (pod.get("spec") or {}).get("containers") or []
    return any(c.get("name") == "istio-proxy" for c in containers)


def is_ambient_pod(pod: Mapping[str, Any]) -> bool:
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    return annotations.get("ambient.istio.io/redirection") == "enabled"


def is_gateway(labels: Mapping[str, str]) -> bool:
    return labels.get("istio") in ("ingressgateway", "egressgateway") or labels.get(
        "operator.istio.io/component"
    ) in ("IngressGateways", "EgressGateways")


def workloads(objects: ObjectLister, cluster: str, namespace: str) -> dict[str, Workload]:
    """Deployments, StatefulSets and DaemonSets of a namespace with the pods they select."""
    pods = in_namespace(objects(cluster, "v1", "pods"), namespace)
    found: dict[str, Workload] = {}
    for group_version, plural in WORKLOAD_KINDS:
        for item in in_namespace(objects(cluster, group_version, plural), namespace):
            spec = item.get("spec") or {}
            selector = (spec.get("selector") or {}).get("matchLabels") or {}
            labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
            workload = Workload(cluster, namespace, name_of(item), dict(labels))
            workload.pods = [
                p for p in pods if _selects(selector, (p.get("metadata") or {}).get("labels") or {})
            ]
            found[workload.name] = workload
    return found


# The label Istio puts on the waypoints it deploys (a Gateway of class istio-waypoint).
WAYPOINT_LABEL = ("gateway.istio.io/managed", "istio.io-mesh-controller")


def is_waypoint(labels: Mapping[str, Any]) -> bool:
    return labels.get(WAYPOINT_LABEL[0]) == WAYPOINT_LABEL[1]


def waypoint_keys(
    objects: ObjectLister, clusters: Iterable[str]
) -> frozenset[tuple[str, str, str]]:
    """(cluster, namespace, name) of every waypoint workload, and (unknown, namespace, name)
    for each, as telemetry may not name the cluster (graph.md 4.7)."""
    keys: set[tuple[str, str, str]] = set()
    for cluster in clusters:
        for group_version, plural in WORKLOAD_KINDS:
            for item in objects(cluster, group_version, plural):
                template = ((item.get("spec") or {}).get("template") or {}).get("metadata") or {}
                labels = {
                    **((item.get("metadata") or {}).get("labels") or {}),
                    **(template.get("labels") or {}),
                }
                if is_waypoint(labels):
                    keys.add((cluster, namespace_of(item), name_of(item)))
                    keys.add(("unknown", namespace_of(item), name_of(item)))
    return frozenset(keys)
