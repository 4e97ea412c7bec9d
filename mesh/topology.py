"""The Mesh page's topology (ME-01, ME-02, ME-03): the infrastructure as a graph, built from
what the page already shows (mesh.meshstatus.MeshStatus, cut to the viewer), so it shows
nothing the tables below it do not. One box per cluster holds its control planes, a
data-plane node for the namespaces they manage that the user may see, and the console on
its home cluster; Prometheus, Grafana and tracing sit in an "External deployments" box.
Edges: console → istiod, istiod → data plane, console → each external service."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from mesh.meshstatus import MeshStatus

OK, FAILURE, UNKNOWN = "Healthy", "Failure", "NA"


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
    data_planes: Mapping[str, Sequence[str]],
    console_version: str,
) -> dict[str, list[dict[str, Any]]]:
    """Cytoscape elements. `data_planes`: per cluster, the mesh namespaces (not control
    planes) the user may see there."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    console = _id("console")
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
            nodes.append(
                _node(
                    istiod,
                    "istiod",
                    f"{plane.name} {plane.version}".strip(),
                    OK if plane.ready else FAILURE,
                    [
                        ["Control plane", f"{plane.namespace}/{plane.name}"],
                        ["Istio version", plane.version or "unknown"],
                        ["Revision", plane.revision],
                        ["Replicas", f"{plane.ready_replicas}/{plane.replicas} ready"],
                    ],
                    parent=box,
                )
            )
            edges.append(_edge(console, istiod))
            if namespaces:
                plane_node = _id("dataplane", info.name, plane.namespace, plane.name)
                nodes.append(
                    _node(
                        plane_node,
                        "dataplane",
                        f"Data plane ({len(namespaces)} namespace{_plural(namespaces)})",
                        OK,
                        [
                            ["Namespaces", ", ".join(namespaces)],
                            ["Managed by", f"{plane.namespace}/{plane.name}"],
                        ],
                        parent=box,
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
    return {"nodes": nodes, "edges": edges}
