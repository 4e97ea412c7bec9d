"""Raw Kubernetes objects for synthetic clusters: unit tests and benchmarks build snapshots
from these exactly as the console builds them from an API server's lists."""

from __future__ import annotations

from typing import Any

from mesh.inventory.build import RawCluster

Raw = dict[str, Any]


def namespace(name: str, **labels: str) -> Raw:
    return {
        "metadata": {"name": name, "labels": labels, "creationTimestamp": "2024-01-01T00:00:00Z"}
    }


def deployment(
    ns: str,
    name: str,
    labels: dict[str, str],
    *,
    replicas: int = 1,
    available: int | None = None,
    annotations: dict[str, str] | None = None,
    template_annotations: dict[str, str] | None = None,
) -> Raw:
    return {
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": labels,
            "annotations": annotations or {},
        },
        "spec": {
            "replicas": replicas,
            "template": {"metadata": {"labels": labels, "annotations": template_annotations or {}}},
        },
        "status": {
            "replicas": replicas,
            "availableReplicas": replicas if available is None else available,
        },
    }


def replicaset(ns: str, name: str, owner: tuple[str, str] | None) -> Raw:
    meta: Raw = {"name": name, "namespace": ns}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
    return {
        "metadata": meta,
        "spec": {"replicas": 1},
        "status": {"replicas": 1, "availableReplicas": 1},
    }


def pod(
    ns: str,
    name: str,
    labels: dict[str, str],
    owner: tuple[str, str] | None,
    *,
    sidecar: bool = True,
    ready: bool = True,
    phase: str = "Running",
) -> Raw:
    meta: Raw = {"name": name, "namespace": ns, "labels": labels}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
    containers = [{"name": "app"}] + ([{"name": "istio-proxy"}] if sidecar else [])
    return {
        "metadata": meta,
        "spec": {"containers": containers},
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def service(
    ns: str, name: str, selector: dict[str, str], annotations: dict[str, str] | None = None
) -> Raw:
    return {
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": {"app": name},
            "annotations": annotations or {},
        },
        "spec": {
            "selector": selector,
            "ports": [{"name": "http", "port": 9080, "protocol": "TCP"}],
        },
    }


def add_versioned_app(
    raw: RawCluster, ns: str, app: str, versions: list[str], *, sidecar: bool = True
) -> None:
    """A Service plus one Deployment (with its ReplicaSet and pod) per version."""
    raw.services.append(service(ns, app, {"app": app}))
    for version in versions:
        labels = {"app": app, "version": version}
        name = f"{app}-{version}"
        raw.workloads.setdefault("Deployment", []).append(deployment(ns, name, labels))
        raw.workloads.setdefault("ReplicaSet", []).append(
            replicaset(ns, f"{name}-abc", ("Deployment", name))
        )
        raw.pods.append(
            pod(ns, f"{name}-abc-x1", labels, ("ReplicaSet", f"{name}-abc"), sidecar=sidecar)
        )


def synthetic_cluster(namespaces: int, workloads_per_namespace: int) -> RawCluster:
    """Namespaces of apps with two versions each (so half as many apps as workloads)."""
    raw = RawCluster()
    for n in range(namespaces):
        ns = f"ns-{n:03d}"
        raw.namespaces.append(namespace(ns, **{"istio-injection": "enabled"}))
        for a in range(workloads_per_namespace // 2):
            add_versioned_app(raw, ns, f"app-{a:02d}", ["v1", "v2"])
    return raw
