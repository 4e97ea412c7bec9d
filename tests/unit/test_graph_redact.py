"""Nodes in namespaces the caller may not read keep their traffic, not their identity."""

from __future__ import annotations

import json

from mesh.graph.model import Edge, Node, TrafficMap
from mesh.graph.redact import redact_inaccessible
from tests.unit.graph_fixtures import graph_json, shop_answers


def test_the_ingress_gateway_of_a_hidden_namespace_is_drawn_without_its_names():
    document = graph_json({"namespaces": "shop", "graphType": "workload"}, shop_answers)
    text = json.dumps(document)
    assert "istio-system" not in text and "istio-ingressgateway" not in text
    hidden = [
        n["data"] for n in document["elements"]["nodes"] if n["data"]["namespace"] == "unknown"
    ]
    assert any(n.get("isInaccessible") and n.get("workload") == "unknown" for n in hidden)
    # the traffic it sends is still there
    ids = {n["id"] for n in hidden}
    assert any(e["data"]["source"] in ids for e in document["elements"]["edges"])


def test_a_caller_who_reads_the_namespace_sees_the_gateway_by_name():
    document = graph_json(
        {"namespaces": "shop", "graphType": "workload"},
        shop_answers,
        accessible={("c1", "shop"), ("c1", "istio-system")},
    )
    assert "istio-ingressgateway" in json.dumps(document)


def test_principals_and_hosts_naming_a_hidden_end_are_dropped():
    tmap = TrafficMap()
    seen = tmap.add(Node("a", "workload", "c1", "shop", workload="web"))
    hidden = tmap.add(
        Node("b", "workload", "c1", "payments", workload="ledger", labels={"team": "pay"})
    )
    edge = tmap.add_edge(Edge(seen.id, hidden.id, "http"))
    edge.add_response("200", "-", "ledger.payments.svc.cluster.local", 1.0)
    edge.meta["destPrincipal"] = "spiffe://cluster.local/ns/payments/sa/ledger"
    written = edge.responses_written
    redact_inaccessible(tmap, {("c1", "shop")})
    assert (hidden.namespace, hidden.workload, hidden.labels) == ("unknown", "unknown", {})
    assert hidden.flags == {"isInaccessible": True}
    assert "destPrincipal" not in edge.meta
    assert edge.responses["200"]["hosts"] == {}
    assert edge.responses_written > written  # a copy written ahead is not reused
    assert seen.namespace == "shop" and seen.workload == "web"
