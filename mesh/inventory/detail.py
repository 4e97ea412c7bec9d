"""What the app, workload and service detail pages show, as plain data.

The views look the entity up in a snapshot and hand the pieces here: Istio config rows
joined with their validation results, and the traffic tab's peers read off a node graph.
Nothing here sees a request, so each piece is tested with hand-built inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from mesh.graph.model import Edge, Node, TrafficMap
from mesh.inventory.model import App, IstioRef, NamespaceInventory, Service, Workload

VALIDATION_RANK = {"error": 0, "warning": 1, "valid": 2, "": 3}


@dataclass(frozen=True)
class ConfigRow:
    """An Istio object referring to the entity, with its validation outcome ("" = not
    validated yet or validation unavailable)."""

    kind: str
    namespace: str
    name: str
    status: str = ""
    errors: int = 0
    warnings: int = 0


class _Check(Protocol):
    @property
    def severity(self) -> str: ...


class ValidationRecord(Protocol):
    """What this module reads of a validation record (validations.model.ObjectValidation),
    so the inventory does not depend on the validation package."""

    @property
    def kind(self) -> str: ...
    @property
    def namespace(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def checks(self) -> Sequence[_Check]: ...


def config_rows(
    refs: Iterable[IstioRef], records: Iterable[ValidationRecord] | None
) -> list[ConfigRow]:
    """`records` is None when validation could not be read, so every row stays unmarked."""
    by_key: dict[tuple[str, str, str], tuple[int, int]] = {}
    for record in records or ():
        severities = [c.severity for c in record.checks]
        key = (record.kind, record.namespace, record.name)
        by_key[key] = (severities.count("error"), severities.count("warning"))
    rows = []
    for ref in dict.fromkeys(refs):
        found = by_key.get((ref.kind, ref.namespace, ref.name))
        if records is None or found is None:
            rows.append(ConfigRow(ref.kind, ref.namespace, ref.name))
            continue
        errors, warnings = found
        status = "error" if errors else "warning" if warnings else "valid"
        rows.append(ConfigRow(ref.kind, ref.namespace, ref.name, status, errors, warnings))
    return sorted(rows, key=lambda r: (VALIDATION_RANK[r.status], r.kind, r.namespace, r.name))


def app_workloads(inventory: NamespaceInventory, app: App) -> list[Workload]:
    return [w for name in app.workloads if (w := inventory.workload(name)) is not None]


def app_services(inventory: NamespaceInventory, app: App) -> list[Service]:
    return [s for name in app.services if (s := inventory.service(name)) is not None]


def service_workloads(inventory: NamespaceInventory, service: Service) -> list[Workload]:
    return [w for name in service.workloads if (w := inventory.workload(name)) is not None]


# ---- the Traffic tab ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrafficPeer:
    """One edge between the entity and a peer, seen from the entity."""

    node_type: str  # workload | app | service | unknown
    cluster: str
    namespace: str
    name: str
    version: str
    protocol: str  # http | grpc | tcp
    rate: float  # req/s, or bytes/s for tcp
    error_percent: float | None  # None for tcp (no notion of a failed byte)
    reachable: bool  # the peer lies in a namespace this request may open

    @property
    def success_percent(self) -> float | None:
        return None if self.error_percent is None else 100.0 - self.error_percent

    @property
    def unit(self) -> str:
        return "B/s" if self.protocol == "tcp" else "req/s"


@dataclass(frozen=True)
class TrafficPeers:
    inbound: list[TrafficPeer]
    outbound: list[TrafficPeer]


ERROR_RATES = {
    "http": ("http4xx", "http5xx", "httpNoResponse"),
    "grpc": ("grpcErr", "grpcNoResponse"),
}


def _is_focus(node: Node, kind: str, cluster: str, namespace: str, name: str) -> bool:
    if node.node_type != kind or node.namespace != namespace:
        return False
    if node.cluster not in (cluster, "unknown"):
        return False
    return {"workload": node.workload, "app": node.app, "service": node.service}[kind] == name


def _peer(node: Node, edge: Edge) -> TrafficPeer:
    rate = edge.rates.get(edge.protocol, 0.0)
    error_percent: float | None = None
    if edge.protocol in ERROR_RATES:
        errors = sum(edge.rates.get(r, 0.0) for r in ERROR_RATES[edge.protocol])
        error_percent = errors / rate * 100 if rate > 0 else 0.0
    name = {
        "workload": node.workload,
        "app": node.app,
        "service": node.service,
    }.get(node.node_type) or (node.workload or node.app or node.service or "unknown")
    return TrafficPeer(
        node_type=node.node_type,
        cluster=node.cluster,
        namespace=node.namespace,
        name=name,
        version=node.version,
        protocol=edge.protocol,
        rate=rate,
        error_percent=error_percent,
        reachable=not node.flags.get("isInaccessible") and node.node_type != "unknown",
    )


def traffic_peers(
    tmap: TrafficMap, kind: str, cluster: str, namespace: str, name: str
) -> TrafficPeers:
    """Inbound and outbound peers of the entity's node(s) in its node graph, busiest first."""
    focus = [n.id for n in tmap.nodes() if _is_focus(n, kind, cluster, namespace, name)]
    inbound, outbound = [], []
    for node_id in focus:
        for edge in tmap.in_edges(node_id):
            if edge.source != node_id:
                inbound.append(_peer(tmap.node(edge.source), edge))
        for edge in tmap.out_edges(node_id):
            if edge.dest != node_id:
                outbound.append(_peer(tmap.node(edge.dest), edge))

    def busiest(peers: list[TrafficPeer]) -> list[TrafficPeer]:
        return sorted(peers, key=lambda p: (-p.rate, p.namespace, p.name, p.protocol))

    return TrafficPeers(busiest(inbound), busiest(outbound))
