"""A control plane's mesh configuration: the `mesh` document of its `istio` ConfigMap.

The Mesh page's control-plane panel (ME-05) shows it read-only with the settings operators
look for first (outbound traffic policy, automatic mTLS, trust domain, mesh ID). A revision
other than "default" reads `<name>-<revision>`, as istiod itself does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from kubernetes.client import ApiClient

from mesh.kube.access import get_json
from mesh.kube.errors import KubeError


@dataclass(frozen=True)
class MeshConfigDoc:
    source: str  # "istio-system/istio", the ConfigMap it came from
    text: str = ""  # the `mesh` document as written
    outbound_traffic_policy: str = "ALLOW_ANY"
    auto_mtls: bool = True
    trust_domain: str = "cluster.local"
    mesh_id: str = ""
    error: str = ""  # why it could not be read; Istio's defaults are shown then


def config_map_name(base: str, revision: str) -> str:
    return base if revision in ("", "default") else f"{base}-{revision}"


def parse_mesh_config(source: str, text: str) -> MeshConfigDoc:
    try:
        mesh = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        return MeshConfigDoc(source, text, error=f"its mesh document is not valid YAML: {exc}")
    if not isinstance(mesh, dict):
        return MeshConfigDoc(source, text, error="its mesh document is not a mapping")
    default_config: dict[str, Any] = mesh.get("defaultConfig") or {}
    trust_domain = str(mesh.get("trustDomain") or "cluster.local")
    return MeshConfigDoc(
        source=source,
        text=text,
        outbound_traffic_policy=str(
            (mesh.get("outboundTrafficPolicy") or {}).get("mode") or "ALLOW_ANY"
        ),
        auto_mtls=mesh.get("enableAutoMtls", True) is not False,
        trust_domain=trust_domain,
        mesh_id=str(default_config.get("meshId") or trust_domain),
    )


def read_mesh_config(
    client: ApiClient, cluster: str, namespace: str, revision: str, base_name: str
) -> MeshConfigDoc:
    name = config_map_name(base_name, revision)
    source = f"{namespace}/{name}"
    try:
        document = get_json(
            client, cluster, f"/api/v1/namespaces/{namespace}/configmaps/{name}", timeout=(3, 5)
        )
    except KubeError as exc:
        return MeshConfigDoc(source, error=f"it could not be read: {exc.message}")
    if document is None:
        return MeshConfigDoc(source, error="it does not exist; Istio's defaults apply")
    return parse_mesh_config(source, str((document.get("data") or {}).get("mesh") or ""))
