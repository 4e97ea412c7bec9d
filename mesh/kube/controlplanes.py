"""Istio control planes as a cluster shows them: istiod Deployments and their state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubernetes.client import ApiClient

from mesh.kube.access import list_items


@dataclass(frozen=True)
class ControlPlane:
    cluster: str
    namespace: str
    name: str
    revision: str
    version: str
    cluster_id: str
    replicas: int
    ready_replicas: int

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def ready(self) -> bool:
        return self.replicas > 0 and self.ready_replicas >= self.replicas


def _version(deployment: dict[str, Any]) -> str:
    """Istio's version: the operator's label when present, else the pilot image tag."""
    labels = deployment.get("metadata", {}).get("labels") or {}
    for key in ("operator.istio.io/version", "app.kubernetes.io/version"):
        if labels.get(key):
            return str(labels[key])
    containers = deployment.get("spec", {}).get("template", {}).get("spec", {}).get("containers")
    image = (containers or [{}])[0].get("image", "")
    tail = image.rsplit("/", 1)[-1]
    return tail.split(":", 1)[1] if ":" in tail else ""


def _env(deployment: dict[str, Any], name: str) -> str:
    containers = deployment.get("spec", {}).get("template", {}).get("spec", {}).get("containers")
    for env in (containers or [{}])[0].get("env") or []:
        if env.get("name") == name:
            return str(env.get("value") or "")
    return ""


def parse_control_planes(cluster: str, deployments: list[dict[str, Any]]) -> list[ControlPlane]:
    planes = []
    for d in deployments:
        meta, status = d.get("metadata", {}), d.get("status") or {}
        labels = meta.get("labels") or {}
        planes.append(
            ControlPlane(
                cluster=cluster,
                namespace=meta.get("namespace", ""),
                name=meta.get("name", ""),
                revision=labels.get("istio.io/rev", "default"),
                version=_version(d),
                cluster_id=_env(d, "CLUSTER_ID"),
                replicas=int(d.get("spec", {}).get("replicas", 1) or 0),
                ready_replicas=int(status.get("readyReplicas") or 0),
            )
        )
    return sorted(planes, key=lambda p: (p.namespace, p.name))


def control_planes(client: ApiClient, cluster: str) -> list[ControlPlane]:
    """One labelled list across namespaces: istiod carries app=istiod in every install method."""
    return parse_control_planes(
        cluster, list_items(client, cluster, "apps/v1", "deployments", label_selector="app=istiod")
    )
