"""Validation of a live cluster: gather its objects with one list per kind, run the engine.

The engine and the offline command read the same way: objects become documents handed to
`context_from_objects`, so a live cluster and a folder of manifests validate identically.
Versions come from the server's discovery documents, because real clusters serve different
versions of the Istio and Gateway API groups (and some serve none).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kubernetes.client import ApiClient

from kiali_site.config import KialiConfig
from mesh.kube.access import get_json, list_items
from validations.engine import validate
from validations.model import ObjectValidation, ValidationContext
from validations.offline import (
    GATEWAY_API,
    ISTIO_GROUPS,
    context_from_objects,
    settings_from_config,
)

GATEWAY_GROUP = "gateway.networking.k8s.io"
CONTEXT_RESOURCES = [
    # (apiVersion, kind, plural)
    ("v1", "Namespace", "namespaces"),
    ("v1", "Service", "services"),
    ("v1", "ServiceAccount", "serviceaccounts"),
    ("v1", "Pod", "pods"),
    ("apps/v1", "Deployment", "deployments"),
    ("apps/v1", "StatefulSet", "statefulsets"),
    ("apps/v1", "DaemonSet", "daemonsets"),
    ("apps/v1", "ReplicaSet", "replicasets"),
]


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    def path(self, namespace: str, name: str) -> str:
        return f"/apis/{self.api_version}/namespaces/{namespace}/{self.plural}/{name}"


def discover_resources(client: ApiClient, cluster: str) -> dict[str, Resource]:
    """Istio and Gateway API kinds this server serves, each at the first version that has it,
    preferred version first; keyed by the engine's kind name (Gateway API kinds K8s-prefixed)."""
    wanted = {group: set(kinds) for group, kinds in ISTIO_GROUPS.items()}
    wanted[GATEWAY_GROUP] = {*GATEWAY_API, "GatewayClass"}
    found: dict[str, Resource] = {}
    for group, kinds in wanted.items():
        doc = get_json(client, cluster, f"/apis/{group}")
        if not doc:
            continue
        preferred = (doc.get("preferredVersion") or {}).get("version", "")
        versions = [v.get("version", "") for v in doc.get("versions") or []]
        for version in sorted(versions, key=lambda v: v != preferred):
            listing = get_json(client, cluster, f"/apis/{group}/{version}") or {}
            for res in listing.get("resources") or []:
                kind, plural = res.get("kind", ""), res.get("name", "")
                if kind not in kinds or "/" in plural:
                    continue
                key = f"K8s{kind}" if group == GATEWAY_GROUP and kind != "GatewayClass" else kind
                found.setdefault(
                    key, Resource(group, version, kind, plural, bool(res.get("namespaced")))
                )
    return found


def _typed(items: list[dict[str, Any]], api_version: str, kind: str) -> list[dict[str, Any]]:
    """List items carry no kind or apiVersion; the engine's reader needs both."""
    return [{**item, "apiVersion": api_version, "kind": kind} for item in items]


@dataclass
class ClusterObjects:
    cluster: str
    resources: dict[str, Resource]
    documents: list[dict[str, Any]] = field(default_factory=list)


def gather(client: ApiClient, cluster: str, config: KialiConfig) -> ClusterObjects:
    """Every object validation needs, read concurrently, one list call per kind."""
    resources = discover_resources(client, cluster)
    calls: list[tuple[str, str, str]] = [
        (r.api_version, r.kind, r.plural) for r in resources.values()
    ]
    calls += CONTEXT_RESOURCES
    root = config.external_services.istio.root_namespace
    config_map_name = config.external_services.istio.config_map_name

    def read(call: tuple[str, str, str]) -> list[dict[str, Any]]:
        api_version, kind, plural = call
        return _typed(list_items(client, cluster, api_version, plural), api_version, kind)

    with ThreadPoolExecutor(max_workers=6) as pool:
        mesh_cm = pool.submit(
            get_json, client, cluster, f"/api/v1/namespaces/{root}/configmaps/{config_map_name}"
        )
        documents = [doc for docs in pool.map(read, calls) for doc in docs]
        istio_cm = mesh_cm.result()
    if istio_cm:
        documents += _typed([istio_cm], "v1", "ConfigMap")
    return ClusterObjects(cluster, resources, documents)


def context_for(objects: ClusterObjects, config: KialiConfig) -> ValidationContext:
    settings, mesh_overrides = settings_from_config(config)
    loaded = context_from_objects(
        objects.documents, settings=settings, mesh_overrides=mesh_overrides
    )
    loaded.context.cluster = objects.cluster
    return loaded.context


@dataclass
class ClusterValidation:
    cluster: str
    computed_at: float
    records: list[ObjectValidation]
    objects: ClusterObjects | None = None
    context: ValidationContext | None = None


def validate_cluster(
    client: ApiClient, cluster: str, config: KialiConfig, *, keep_objects: bool = False
) -> ClusterValidation:
    objects = gather(client, cluster, config)
    context = context_for(objects, config)
    records = validate(context)
    if not keep_objects:
        return ClusterValidation(cluster, time.time(), records)
    return ClusterValidation(cluster, time.time(), records, objects, context)
