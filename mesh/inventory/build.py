"""Assemble a cluster snapshot from one raw list per kind, without any further reads.

Pods are attached to workloads through owner references (Pod -> ReplicaSet -> Deployment,
Pod -> Job -> CronJob), so no per-workload call is ever needed.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from kiali_site.config import KialiConfig
from mesh.inventory.model import (
    App,
    ClusterSnapshot,
    IstioObject,
    NamespaceInventory,
    Pod,
    Service,
    Workload,
)
from mesh.inventory.parse import (
    Raw,
    controller_owner,
    parse_istio_object,
    parse_namespace,
    parse_pod,
    parse_service,
    parse_workload,
)
from mesh.inventory.references import link_services, link_workloads
from mesh.kube.controlplanes import parse_control_planes
from mesh.kube.selectors import matches_selector

# kind -> (group/version, plural); the order is the order of precedence for duplicates.
WORKLOAD_KINDS: dict[str, tuple[str, str]] = {
    "Deployment": ("apps/v1", "deployments"),
    "ReplicaSet": ("apps/v1", "replicasets"),
    "StatefulSet": ("apps/v1", "statefulsets"),
    "DaemonSet": ("apps/v1", "daemonsets"),
    "Job": ("batch/v1", "jobs"),
    "CronJob": ("batch/v1", "cronjobs"),
    "ReplicationController": ("v1", "replicationcontrollers"),
}
# CronJob moved to batch/v1 in 1.21; older servers serve it only here.
CRONJOB_FALLBACK = ("batch/v1beta1", "cronjobs")

ISTIO_KINDS: dict[str, tuple[str, str]] = {
    "VirtualService": ("networking.istio.io/v1", "virtualservices"),
    "DestinationRule": ("networking.istio.io/v1", "destinationrules"),
    "Gateway": ("networking.istio.io/v1", "gateways"),
    "Sidecar": ("networking.istio.io/v1", "sidecars"),
    "AuthorizationPolicy": ("security.istio.io/v1", "authorizationpolicies"),
    "PeerAuthentication": ("security.istio.io/v1", "peerauthentications"),
}


@dataclass
class RawCluster:
    """What one snapshot read returns: a list of raw objects per kind."""

    namespaces: list[Raw] = field(default_factory=list)
    pods: list[Raw] = field(default_factory=list)
    services: list[Raw] = field(default_factory=list)
    workloads: dict[str, list[Raw]] = field(default_factory=dict)  # kind -> items
    istio: dict[str, list[Raw]] = field(default_factory=dict)  # kind -> items
    group_versions: dict[str, str] = field(default_factory=dict)  # kind -> served version
    errors: list[str] = field(default_factory=list)


def _owner_chain(raw: RawCluster) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(namespace, kind, name) -> its controller owner, for ReplicaSets and Jobs."""
    chain = {}
    for kind in ("ReplicaSet", "Job"):
        for item in raw.workloads.get(kind, []):
            meta = item.get("metadata") or {}
            owner = controller_owner(item)
            if owner[0]:
                chain[(str(meta.get("namespace", "")), kind, str(meta.get("name", "")))] = owner
    return chain


def _top_owner(
    namespace: str, pod: Pod, chain: dict[tuple[str, str, str], tuple[str, str]]
) -> tuple[str, str]:
    kind, name = pod.owner_kind, pod.owner_name
    if not kind:
        return "Pod", pod.name
    while (namespace, kind, name) in chain:
        kind, name = chain[(namespace, kind, name)]
    return kind, name


def build_snapshot(cluster: str, raw: RawCluster, config: KialiConfig) -> ClusterSnapshot:
    istio_labels = config.istio_labels
    excluded = set(config.kubernetes_config.excluded_workloads)
    deployments = raw.workloads.get("Deployment", [])
    control_planes = parse_control_planes(
        cluster,
        [
            d
            for d in deployments
            if ((d.get("metadata") or {}).get("labels") or {}).get("app") == "istiod"
        ],
    )
    cp_namespaces = {cp.namespace for cp in control_planes} | {
        config.external_services.istio.root_namespace
    }
    snapshot = ClusterSnapshot(
        cluster=cluster,
        taken_at=time.time(),
        control_planes=control_planes,
        errors=list(raw.errors),
    )
    for item in raw.namespaces:
        ns = parse_namespace(cluster, item, istio_labels, cp_namespaces)
        snapshot.namespaces[ns.name] = NamespaceInventory(ns)

    chain = _owner_chain(raw)
    pods_by_owner: dict[tuple[str, str, str], list[Pod]] = defaultdict(list)
    bare_pods: list[tuple[Raw, Pod]] = []
    for item in raw.pods:
        pod = parse_pod(item)
        namespace = str((item.get("metadata") or {}).get("namespace", ""))
        kind, name = _top_owner(namespace, pod, chain)
        if kind == "Pod":
            bare_pods.append((item, pod))
        else:
            pods_by_owner[(namespace, kind, name)].append(pod)

    workloads: dict[str, list[Workload]] = defaultdict(list)
    for kind, items in raw.workloads.items():
        if kind in excluded:
            continue
        group_version = raw.group_versions.get(kind, WORKLOAD_KINDS.get(kind, ("", ""))[0])
        for item in items:
            meta = item.get("metadata") or {}
            namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
            owner_kind, _ = controller_owner(item)
            if kind == "ReplicaSet" and owner_kind:
                continue  # belongs to its Deployment (or another controller)
            if kind == "Job" and owner_kind == "CronJob":
                continue  # its pods count for the CronJob
            pods = pods_by_owner.get((namespace, kind, name), [])
            workloads[namespace].append(
                parse_workload(cluster, kind, group_version, item, pods, istio_labels)
            )
    if "Pod" not in excluded:
        for item, pod in bare_pods:
            namespace = str((item.get("metadata") or {}).get("namespace", ""))
            workloads[namespace].append(
                parse_workload(cluster, "Pod", "v1", item, [pod], istio_labels)
            )

    services: dict[str, list[Service]] = defaultdict(list)
    for item in raw.services:
        service = parse_service(cluster, item)
        services[service.namespace].append(service)

    istio: dict[str, list[IstioObject]] = defaultdict(list)
    for kind, items in raw.istio.items():
        group_version = raw.group_versions.get(kind, ISTIO_KINDS.get(kind, ("", ""))[0])
        for item in items:
            obj = parse_istio_object(kind, group_version, item)
            istio[obj.namespace].append(obj)
    all_istio = [o for objs in istio.values() for o in objs]

    for name, inventory in snapshot.namespaces.items():
        inventory.workloads = sorted(workloads.get(name, []), key=lambda w: w.name)
        inventory.services = sorted(services.get(name, []), key=lambda s: s.name)
        inventory.istio_objects = istio.get(name, [])
        _link(inventory, all_istio)
    return snapshot


def _link(inventory: NamespaceInventory, all_istio: list[IstioObject]) -> None:
    by_name = {w.name: w for w in inventory.workloads}
    for service in inventory.services:
        if service.selector:
            service.workloads = [
                w.name for w in inventory.workloads if matches_selector(w.labels, service.selector)
            ]
        service.has_sidecar = all(by_name[w].has_sidecar for w in service.workloads)
        for w in service.workloads:
            by_name[w].services.append(service.name)
    link_services(inventory.services, all_istio)
    link_workloads(inventory.workloads, all_istio, {s.name: s for s in inventory.services})
    inventory.apps = build_apps(inventory)


def build_apps(inventory: NamespaceInventory) -> list[App]:
    """Workloads grouped by app label; gateways stay workloads only, as in Kiali's app list."""
    groups: dict[str, list[Workload]] = defaultdict(list)
    for w in inventory.workloads:
        if w.app:
            groups[w.app].append(w)
    apps = []
    for name, members in sorted(groups.items()):
        services = sorted({s for w in members for s in w.services})
        refs = {r for w in members for r in w.istio_refs}
        apps.append(
            App(
                cluster=inventory.namespace.cluster,
                namespace=inventory.namespace.name,
                name=name,
                workloads=[w.name for w in members],
                services=services,
                versions=sorted({w.version for w in members if w.version}),
                istio_refs=sorted(refs, key=lambda r: (r.kind, r.namespace, r.name)),
                has_sidecar=all(w.has_sidecar for w in members),
                can_have_telemetry=any(w.can_have_telemetry for w in members),
                is_ambient=any(w.is_ambient for w in members),
            )
        )
    return apps
