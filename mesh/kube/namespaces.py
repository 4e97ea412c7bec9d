"""Namespaces as the console uses them: name, labels, and whether the mesh manages them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubernetes.client import ApiClient

from mesh.kube.access import get_json, list_items


@dataclass(frozen=True)
class Namespace:
    cluster: str
    name: str
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    annotations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    created: str = field(default="", compare=False)
    is_control_plane: bool = field(default=False, compare=False)


def parse_namespace(cluster: str, item: dict[str, Any]) -> Namespace:
    meta = item.get("metadata") or {}
    return Namespace(
        cluster=cluster,
        name=str(meta.get("name", "")),
        labels=dict(meta.get("labels") or {}),
        annotations=dict(meta.get("annotations") or {}),
        created=str(meta.get("creationTimestamp", "")),
    )


def list_namespaces(client: ApiClient, cluster: str) -> list[Namespace]:
    return [parse_namespace(cluster, i) for i in list_items(client, cluster, "v1", "namespaces")]


def get_namespace(client: ApiClient, cluster: str, name: str) -> Namespace | None:
    """One namespace with this client's credentials; None when it does not exist."""
    item = get_json(client, cluster, f"/api/v1/namespaces/{name}")
    return parse_namespace(cluster, item) if item else None
