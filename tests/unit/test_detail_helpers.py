"""The detail pages' pure pieces: health explanations, Istio config rows and traffic peers."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiali_site.config import HealthConfig
from mesh.graph.model import Edge, Node, TrafficMap
from mesh.health.explain import explain
from mesh.health.model import RequestHealth, WorkloadStatus
from mesh.health.tolerance import compile_rules, tolerances_for
from mesh.inventory.detail import config_rows, traffic_peers
from mesh.inventory.model import IstioRef

DEFAULTS = tolerances_for(compile_rules(HealthConfig()), "ns", "workload", "w")


def test_inbound_5xx_above_ten_percent_is_explained_as_an_inbound_failure_with_numbers():
    requests = RequestHealth(inbound={"http": {"200": 0.4, "503": 0.6}})
    reasons = explain(requests, [WorkloadStatus("w", 1, 1, 1)], DEFAULTS)
    assert [(r.part, r.status) for r in reasons] == [("inbound", "Failure")]
    assert "60.0% of 1.00 req/s" in reasons[0].text and "503: 0.60 req/s" in reasons[0].text
    assert "at 10% or more" in reasons[0].text


def test_a_few_outbound_5xx_only_degrade_and_healthy_traffic_gives_no_reason():
    requests = RequestHealth(
        inbound={"http": {"200": 5.0}}, outbound={"http": {"200": 9.9, "500": 0.1}}
    )
    reasons = explain(requests, [], DEFAULTS)
    assert [(r.part, r.status) for r in reasons] == [("outbound", "Degraded")]


def test_missing_pods_come_before_request_errors_of_the_same_status():
    requests = RequestHealth(inbound={"http": {"503": 1.0}})
    reasons = explain(requests, [WorkloadStatus("w-v1", 2, 2, 0)], DEFAULTS)
    assert [r.part for r in reasons] == ["pods", "inbound"]
    assert reasons[0].text == "w-v1: 0 of 2 pods available (2 current)"


def test_a_workload_scaled_to_zero_is_not_ready():
    reasons = explain(RequestHealth(), [WorkloadStatus("w", 0, 0, 0)], DEFAULTS)
    assert [(r.status, r.text) for r in reasons] == [("Not Ready", "w: scaled to 0 replicas")]


@dataclass
class Check:
    severity: str


@dataclass
class Record:
    kind: str
    namespace: str
    name: str
    checks: list[Check] = field(default_factory=list)


def test_config_rows_carry_validation_status_and_put_problems_first():
    refs = [
        IstioRef("VirtualService", "ns", "vs"),
        IstioRef("DestinationRule", "ns", "dr"),
        IstioRef("Gateway", "other", "gw"),
    ]
    records = [
        Record("VirtualService", "ns", "vs"),
        Record("DestinationRule", "ns", "dr", [Check("warning"), Check("error")]),
    ]
    rows = config_rows(refs, records)
    assert [(r.kind, r.status, r.errors, r.warnings) for r in rows] == [
        ("DestinationRule", "error", 1, 1),
        ("VirtualService", "valid", 0, 0),
        ("Gateway", "", 0, 0),
    ]
    assert {r.status for r in config_rows(refs, None)} == {""}


def _node(tmap: TrafficMap, node_id: str, **fields: str) -> Node:
    return tmap.add(Node(node_id, cluster="east", namespace="shop", **fields))  # type: ignore[arg-type]


def test_peers_are_read_off_the_focus_node_with_rates_and_error_percentages():
    tmap = TrafficMap()
    _node(tmap, "ui", node_type="workload", workload="ui-v1")
    _node(tmap, "orders", node_type="workload", workload="orders-v2")
    _node(tmap, "db", node_type="workload", workload="db-v1")
    unknown = _node(tmap, "unknown", node_type="unknown")
    unknown.flags["isInaccessible"] = True
    inbound = Edge("ui", "orders", "http", rates={"http": 2.0, "http5xx": 1.5})
    tmap.add_edge(inbound)
    tmap.add_edge(Edge("unknown", "orders", "http", rates={"http": 0.5}))
    tmap.add_edge(Edge("orders", "db", "tcp", rates={"tcp": 300.0}))

    peers = traffic_peers(tmap, "workload", "east", "shop", "orders-v2")
    assert [(p.name, p.rate, p.error_percent, p.reachable) for p in peers.inbound] == [
        ("ui-v1", 2.0, 75.0, True),
        ("unknown", 0.5, 0.0, False),
    ]
    assert peers.inbound[0].success_percent == 25.0
    assert [(p.name, p.protocol, p.error_percent, p.unit) for p in peers.outbound] == [
        ("db-v1", "tcp", None, "B/s")
    ]
    assert traffic_peers(tmap, "workload", "west", "shop", "orders-v2").inbound == []
