"""Raw Kubernetes dicts into inventory dataclasses, one function per kind.

Replica numbers follow health.md 3.1 per controller kind, quirks included, because health
is computed from exactly these numbers.
"""

from __future__ import annotations

from typing import Any

from kiali_site.config import IstioLabels
from mesh.inventory.labels import app_label_names, first_label, is_gateway, version_label_names
from mesh.inventory.model import IstioObject, NamespaceInfo, Pod, Service, ServicePort, Workload

Raw = dict[str, Any]

PROXY_CONTAINER = "istio-proxy"


def _meta(item: Raw) -> Raw:
    return item.get("metadata") or {}


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def controller_owner(item: Raw) -> tuple[str, str]:
    """(kind, name) of the controlling owner, or ("", "") for an object nobody owns."""
    owners = _meta(item).get("ownerReferences") or []
    chosen = next((o for o in owners if o.get("controller")), owners[0] if owners else None)
    if not chosen:
        return "", ""
    return str(chosen.get("kind", "")), str(chosen.get("name", ""))


def parse_namespace(
    cluster: str, item: Raw, istio_labels: IstioLabels, control_planes: set[str]
) -> NamespaceInfo:
    meta = _meta(item)
    labels = dict(meta.get("labels") or {})
    name = str(meta.get("name", ""))
    return NamespaceInfo(
        cluster=cluster,
        name=name,
        labels=labels,
        annotations=dict(meta.get("annotations") or {}),
        created=str(meta.get("creationTimestamp", "")),
        injection=labels.get(istio_labels.injection_label_name, ""),
        revision=labels.get(istio_labels.injection_label_rev, ""),
        is_ambient=labels.get("istio.io/dataplane-mode") == "ambient",
        is_control_plane=name in control_planes,
    )


def parse_pod(item: Raw) -> Pod:
    meta, spec, status = _meta(item), item.get("spec") or {}, item.get("status") or {}
    containers = [c.get("name") for c in spec.get("containers") or []]
    # Native sidecars (Kubernetes 1.28+) put the proxy among the init containers.
    containers += [
        c.get("name")
        for c in spec.get("initContainers") or []
        if c.get("restartPolicy") == "Always"
    ]
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    owner_kind, owner_name = controller_owner(item)
    return Pod(
        name=str(meta.get("name", "")),
        labels=dict(meta.get("labels") or {}),
        phase=str(status.get("phase", "")),
        ready=conditions.get("Ready") == "True",
        has_sidecar=PROXY_CONTAINER in containers,
        created=str(meta.get("creationTimestamp", "")),
        service_account=str(spec.get("serviceAccountName", "")),
        owner_kind=owner_kind,
        owner_name=owner_name,
    )


def replica_numbers(kind: str, item: Raw, pods: list[Pod]) -> tuple[int, int, int]:
    """(desired, current, available) per health.md 3.1."""
    spec, status = item.get("spec") or {}, item.get("status") or {}
    if kind in ("Deployment", "ReplicaSet", "ReplicationController", "DeploymentConfig"):
        return (
            _int(spec.get("replicas")),
            _int(status.get("replicas")),
            _int(status.get("availableReplicas")),
        )
    if kind == "StatefulSet":
        return (
            _int(spec.get("replicas")),
            _int(status.get("replicas")),
            _int(status.get("readyReplicas")),
        )
    if kind == "DaemonSet":
        return (
            _int(status.get("desiredNumberScheduled")),
            _int(status.get("currentNumberScheduled")),
            _int(status.get("numberAvailable")),
        )
    if kind == "Job":
        desired = sum(_int(status.get(k)) for k in ("active", "succeeded", "failed"))
        return desired, desired, _int(status.get("active")) + _int(status.get("succeeded"))
    if kind == "CronJob":
        # Upstream computes a pod count, then overwrites it with a never-set value: 0.
        return 0, 0, sum(1 for p in pods if p.phase == "Running")
    if kind == "Pod":
        phase = str(status.get("phase", ""))
        desired = 0 if phase == "Succeed" else 1  # upstream compares with "Succeed", sic
        return desired, desired, 1 if phase == "Running" else 0
    return 0, 0, 0


def parse_workload(
    cluster: str,
    kind: str,
    group_version: str,
    item: Raw,
    pods: list[Pod],
    istio_labels: IstioLabels,
) -> Workload:
    meta, spec = _meta(item), item.get("spec") or {}
    if kind == "Pod":
        template_meta: Raw = meta
    elif kind == "CronJob":
        template_meta = (
            ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        ).get("metadata") or {}
    else:
        template_meta = (spec.get("template") or {}).get("metadata") or {}
    labels = dict(template_meta.get("labels") or {})
    if not labels and pods:
        labels = dict(pods[0].labels)
    desired, current, available = replica_numbers(kind, item, pods)
    return Workload(
        cluster=cluster,
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        kind=kind,
        group_version=group_version,
        labels=labels,
        annotations=dict(meta.get("annotations") or {}),
        template_annotations=(
            {} if kind == "Pod" else dict(template_meta.get("annotations") or {})
        ),
        created=str(meta.get("creationTimestamp", "")),
        desired_replicas=desired,
        current_replicas=current,
        available_replicas=available,
        pods=pods,
        app=first_label(labels, app_label_names(istio_labels)),
        version=first_label(labels, version_label_names(istio_labels)),
        is_gateway=is_gateway(labels),
        is_ambient=labels.get("istio.io/dataplane-mode") == "ambient",
    )


def parse_service(cluster: str, item: Raw) -> Service:
    meta, spec = _meta(item), item.get("spec") or {}
    ports = [
        ServicePort(
            name=str(p.get("name", "")),
            port=_int(p.get("port")),
            protocol=str(p.get("protocol", "TCP")),
            app_protocol=str(p.get("appProtocol", "")),
            target_port=str(p.get("targetPort", "")),
        )
        for p in spec.get("ports") or []
    ]
    return Service(
        cluster=cluster,
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        labels=dict(meta.get("labels") or {}),
        annotations=dict(meta.get("annotations") or {}),
        selector=dict(spec.get("selector") or {}),
        ports=ports,
        type=str(spec.get("type", "ClusterIP")),
        cluster_ip=str(spec.get("clusterIP", "")),
        created=str(meta.get("creationTimestamp", "")),
    )


def parse_istio_object(kind: str, group_version: str, item: Raw) -> IstioObject:
    meta = _meta(item)
    return IstioObject(
        kind=kind,
        group_version=group_version,
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        spec=dict(item.get("spec") or {}),
        labels=dict(meta.get("labels") or {}),
    )
