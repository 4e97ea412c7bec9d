"""The Mesh page's topology (ME-01 to ME-05, ME-07): the infrastructure as a graph, built
from what the page already shows (mesh.meshstatus.MeshStatus, cut to the viewer), so it
shows nothing the tables below it do not. One box per cluster holds its control planes, a
data-plane node for the namespaces they manage that the user may see, and the console on
its home cluster; Prometheus, Grafana and tracing sit in an "External deployments" box.
Edges: console → istiod, istiod → data plane, console → each external service.

Each node carries its panel: `details` (term, value) pairs, and where it has them a
`table` (the data plane's namespaces) and a `yaml` document (a control plane's mesh
configuration). The summary panel, shown when nothing is selected, is `summary`."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mesh.health.model import LABELS, NA, PRIORITY
from mesh.meshstatus import MeshStatus

OK, FAILURE, UNKNOWN = "Healthy", "Failure", "NA"


@dataclass(frozen=True)
class DataPlaneNamespace:
    """One row of a data plane's panel (ME-07)."""

    name: str
    url: str  # the namespace's page
    health: str  # a health status value
    mtls: str  # the mTLS label ("Strict", ...)
    config: str  # "valid", "warning", "error", or "" when not validated yet
    config_url: str  # Istio Config of the namespace


@dataclass(frozen=True)
class MeshCounts:
    """What the summary panel counts beyond the topology's own nodes, from the inventory
    of the namespaces the user may see."""

    gateways: int = 0
    waypoints: int = 0


def _worst(statuses: Sequence[str]) -> str:
    return max(statuses, key=PRIORITY.__getitem__, default=NA)


def _namespace_table(rows: Sequence[DataPlaneNamespace]) -> dict[str, Any]:
    return {
        "columns": ["Namespace", "Health", "mTLS", "Istio config"],
        "rows": [
            [
                {"text": r.name, "href": r.url},
                {"text": LABELS[r.health], "status": r.health},
                {"text": r.mtls},
                {"text": r.config or "not validated yet", "href": r.config_url, "config": r.config},
            ]
            for r in rows
        ],
    }


def _id(*parts: str) -> str:
    return "m" + hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def _node(
    node_id: str, kind: str, label: str, health: str, details: list[list[str]], **extra: Any
) -> dict[str, Any]:
    data = {"id": node_id, "kind": kind, "label": label, "health": health, "details": details}
    data.update(extra)
    return {"data": data}


def _plural(items: Sequence[object]) -> str:
    return "" if len(items) == 1 else "s"


def _edge(source: str, target: str) -> dict[str, Any]:
    return {"data": {"id": f"{source}-{target}", "source": source, "target": target}}


def mesh_topology(
    status: MeshStatus,
    data_planes: Mapping[str, Sequence[DataPlaneNamespace]],
    console_version: str,
    mesh_tls: Mapping[str, str],
    counts: MeshCounts,
) -> dict[str, Any]:
    """Cytoscape elements and the summary. `data_planes`: per cluster, the mesh namespaces
    (not control planes) the user may see there; `mesh_tls`: per cluster, the mesh-wide
    mTLS mode."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    console = _id("console")
    mesh_ids: set[str] = set()
    home = next((c for c in status.clusters if c.cluster.is_home and not c.hidden), None)
    for entry in status.clusters:
        info = entry.cluster
        if entry.hidden or not info.accessible:
            continue
        box = _id("cluster", info.name)
        health = OK if info.reachable and not entry.error else FAILURE
        details = [
            ["Cluster", info.name],
            ["Role", "Kiali home cluster" if info.is_home else "remote"],
            ["API endpoint", info.api_endpoint or "—"],
            ["Kubernetes", info.version or "—"],
            ["Status", "reachable" if info.reachable else f"unreachable: {info.reason}"],
        ]
        if info.secret_name:
            details.append(["Secret", info.secret_name])
        if entry.error:
            details.append(["Problem", entry.error])
        links = [
            [
                f"{link.instance.namespace} / {link.instance.service_name}".strip(" /")
                or link.instance.url,
                link.instance.url,
            ]
            for link in status.links
            if link.cluster == info.name
        ]
        nodes.append(_node(box, "cluster", f"cluster {info.name}", health, details, links=links))
        namespaces = list(data_planes.get(info.name, ()))
        for plane in entry.control_planes:
            istiod = _id("istiod", info.name, plane.namespace, plane.name)
            mesh_config = entry.mesh_configs.get(plane.key)
            details = [
                ["Control plane", f"{plane.namespace}/{plane.name}"],
                ["Istio version", plane.version or "unknown"],
                ["Revision", plane.revision],
                ["Replicas", f"{plane.ready_replicas}/{plane.replicas} ready"],
                ["Manages cluster", plane.cluster_id or info.name],
                ["Mesh-wide mTLS", mesh_tls.get(info.name, "unknown")],
            ]
            extra: dict[str, Any] = {"parent": box}
            if mesh_config is not None:
                details += [
                    ["Outbound traffic", mesh_config.outbound_traffic_policy],
                    ["Automatic mTLS", "on" if mesh_config.auto_mtls else "off"],
                    ["Trust domain", mesh_config.trust_domain],
                    ["Mesh ID", mesh_config.mesh_id],
                ]
                if mesh_config.error:
                    details.append(
                        ["Mesh config", f"ConfigMap {mesh_config.source}: {mesh_config.error}"]
                    )
                else:
                    extra["yaml"] = {
                        "title": f"Mesh config (ConfigMap {mesh_config.source})",
                        "text": mesh_config.text,
                    }
                if mesh_config.mesh_id:
                    mesh_ids.add(mesh_config.mesh_id)
            nodes.append(
                _node(
                    istiod,
                    "istiod",
                    f"{plane.name} {plane.version}".strip(),
                    OK if plane.ready else FAILURE,
                    details,
                    **extra,
                )
            )
            edges.append(_edge(console, istiod))
            if namespaces:
                plane_node = _id("dataplane", info.name, plane.namespace, plane.name)
                health = _worst([n.health for n in namespaces])
                nodes.append(
                    _node(
                        plane_node,
                        "dataplane",
                        f"Data plane ({len(namespaces)} namespace{_plural(namespaces)})",
                        health if health != NA else OK,
                        [
                            ["Managed by", f"{plane.namespace}/{plane.name}"],
                            ["Namespaces", str(len(namespaces))],
                            ["Health", LABELS[health]],
                        ],
                        parent=box,
                        table=_namespace_table(namespaces),
                    )
                )
                edges.append(_edge(istiod, plane_node))
    nodes.append(
        _node(
            console,
            "console",
            "Mesh console",
            OK,
            [["Console", "this console"], ["Version", console_version]],
            **({"parent": _id("cluster", home.cluster.name)} if home else {}),
        )
    )
    if status.external_services:
        external = _id("external")
        nodes.append(
            _node(
                external,
                "external",
                "External deployments",
                UNKNOWN,
                [["Box", "services outside the clusters"]],
            )
        )
        for service in status.external_services:
            node_id = _id("service", service.name)
            health = UNKNOWN if service.reachable is None else OK if service.reachable else FAILURE
            details = [["Service", service.name], ["URL", service.url or "—"]]
            if service.reachable is not None:
                details.append(
                    [
                        "Status",
                        "reachable" if service.reachable else f"not reachable: {service.reason}",
                    ]
                )
            nodes.append(_node(node_id, "service", service.name, health, details, parent=external))
            edges.append(_edge(console, node_id))
    return {"nodes": nodes, "edges": edges, "summary": _summary(status, nodes, mesh_ids, counts)}


def _summary(
    status: MeshStatus, nodes: Sequence[dict[str, Any]], mesh_ids: set[str], counts: MeshCounts
) -> dict[str, Any]:
    """ME-04: the mesh as a whole, counted from the same nodes the graph draws."""
    kinds = [n["data"]["kind"] for n in nodes]
    health = _worst([n["data"]["health"] for n in nodes if n["data"]["kind"] != "external"])
    return {
        "label": "Mesh",
        "kind": "mesh",
        "health": health,
        "details": [
            ["Mesh", ", ".join(sorted(mesh_ids)) or "unnamed (no mesh ID read)"],
            ["Health", LABELS[health]],
            ["Clusters", str(kinds.count("cluster"))],
            ["Control planes", str(kinds.count("istiod"))],
            ["Data planes", str(kinds.count("dataplane"))],
            ["Other consoles", str(len(status.links))],
            ["Observability", str(kinds.count("service"))],
            ["Gateways", str(counts.gateways)],
            ["Waypoints", str(counts.waypoints)],
        ],
    }
