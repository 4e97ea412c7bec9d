"""Validation of a live cluster: gather its objects with one list per kind, run the engine.

The engine and the offline command read the same way: objects become documents handed to
`context_from_objects`, so a live cluster and a folder of manifests validate identically.
Versions come from the server's discovery documents, because real clusters serve different
versions of the Istio and Gateway API groups (and some serve none).

A kind the console may not list (its role is Kiali's viewer role, and clusters vary) costs
only that kind: validation goes on with the rest and says, in `problems`, what it could not
read. Only a cluster that cannot be reached at all fails the whole validation.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from kubernetes.client import ApiClient

from kiali_site.config import KialiConfig
from mesh.kube.access import get_json, list_items
from mesh.kube.errors import ClusterUnreachable, KubeError, KubeForbidden, KubeUnauthorized
from validations.engine import validate
from validations.model import ObjectValidation, ValidationContext
from validations.offline import (
    GATEWAY_API,
    ISTIO_GROUPS,
    context_from_objects,
    settings_from_config,
)

log = logging.getLogger(__name__)

GATEWAY_GROUP = "gateway.networking.k8s.io"
# Only what Kiali's viewer role lets the console list. Service accounts are not among them:
# a workload's account comes from its pod template (spec.serviceAccountName), as in Kiali.
CONTEXT_RESOURCES = [
    # (apiVersion, kind, plural)
    ("v1", "Namespace", "namespaces"),
    ("v1", "Service", "services"),
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


class ClusterReader(Protocol):
    """The two reads validation makes of a cluster: `KubeReader` makes them over HTTP, unit
    tests hand in canned answers."""

    def get_json(self, path: str) -> dict[str, Any] | None: ...

    def list_items(self, api_version: str, plural: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class KubeReader:
    client: ApiClient
    cluster: str

    def get_json(self, path: str) -> dict[str, Any] | None:
        return get_json(self.client, self.cluster, path)

    def list_items(self, api_version: str, plural: str) -> list[dict[str, Any]]:
        return list_items(self.client, self.cluster, api_version, plural)


def discover_resources(reader: ClusterReader) -> dict[str, Resource]:
    """Istio and Gateway API kinds this server serves, each at the first version that has it,
    preferred version first; keyed by the engine's kind name (Gateway API kinds K8s-prefixed)."""
    wanted = {group: set(kinds) for group, kinds in ISTIO_GROUPS.items()}
    wanted[GATEWAY_GROUP] = {*GATEWAY_API, "GatewayClass"}
    found: dict[str, Resource] = {}
    for group, kinds in wanted.items():
        doc = reader.get_json(f"/apis/{group}")
        if not doc:
            continue
        preferred = (doc.get("preferredVersion") or {}).get("version", "")
        versions = [v.get("version", "") for v in doc.get("versions") or []]
        for version in sorted(versions, key=lambda v: v != preferred):
            listing = reader.get_json(f"/apis/{group}/{version}") or {}
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
    problems: list[str] = field(default_factory=list)  # what could not be read, in plain words


def plain_reason(exc: KubeError) -> str:
    """Why a read failed, in the console's words: the API server's own text names the
    identity that asked, so it goes to the log and never onto a page."""
    if isinstance(exc, KubeForbidden):
        return "permission denied"
    if isinstance(exc, ClusterUnreachable | KubeUnauthorized):
        return exc.message
    return "the API server failed the request"


def _plural(kind: str) -> str:
    if kind.endswith("y") and kind[-2:-1] not in "aeiou":
        return f"{kind[:-1]}ies"
    return f"{kind}es" if kind.endswith("s") else f"{kind}s"


def gather(reader: ClusterReader, cluster: str, config: KialiConfig) -> ClusterObjects:
    """Every object validation needs, read concurrently, one list call per kind.

    A list that fails for its kind (refused by RBAC, or failed by the server) is left out and
    named in `problems`; a cluster that is unreachable or rejects the console's credentials
    fails the whole read, since nothing else would be read either.
    """
    resources = discover_resources(reader)
    # (name in messages, apiVersion, kind, plural)
    calls = [(key, r.api_version, r.kind, r.plural) for key, r in resources.items()]
    calls += [(kind, api_version, kind, plural) for api_version, kind, plural in CONTEXT_RESOURCES]
    root = config.external_services.istio.root_namespace
    config_map_name = config.external_services.istio.config_map_name

    def read(call: tuple[str, str, str, str]) -> tuple[list[dict[str, Any]], str]:
        name, api_version, kind, plural = call
        try:
            return _typed(reader.list_items(api_version, plural), api_version, kind), ""
        except (ClusterUnreachable, KubeUnauthorized):
            raise
        except KubeError as exc:
            log.warning("validation of %s: %s not listed: %s", cluster, plural, exc)
            return [], f"{_plural(name)} could not be read: {plain_reason(exc)}"

    def read_mesh_config() -> tuple[dict[str, Any] | None, str]:
        try:
            path = f"/api/v1/namespaces/{root}/configmaps/{config_map_name}"
            return reader.get_json(path), ""
        except (ClusterUnreachable, KubeUnauthorized):
            raise
        except KubeError as exc:
            log.warning("validation of %s: mesh ConfigMap not read: %s", cluster, exc)
            return None, (
                f"The mesh configuration (ConfigMap {root}/{config_map_name}) could not be "
                f"read: {plain_reason(exc)}; Istio's defaults were assumed"
            )

    with ThreadPoolExecutor(max_workers=6) as pool:
        mesh_cm = pool.submit(read_mesh_config)
        lists = list(pool.map(read, calls))
        istio_cm, mesh_problem = mesh_cm.result()
    documents = [doc for docs, _ in lists for doc in docs]
    problems = [problem for _, problem in lists if problem]
    if mesh_problem:
        problems.append(mesh_problem)
    if istio_cm:
        documents += _typed([istio_cm], "v1", "ConfigMap")
    return ClusterObjects(cluster, resources, documents, problems)


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
    # Kinds that could not be read, one plain sentence each ("Sidecars could not be read:
    # permission denied"): the records were computed without what these name.
    problems: list[str] = field(default_factory=list)


def validate_cluster(
    client: ApiClient, cluster: str, config: KialiConfig, *, keep_objects: bool = False
) -> ClusterValidation:
    objects = gather(KubeReader(client, cluster), cluster, config)
    context = context_for(objects, config)
    records = validate(context)
    return ClusterValidation(
        cluster,
        time.time(),
        records,
        objects if keep_objects else None,
        context if keep_objects else None,
        problems=objects.problems,
    )
