"""The side panel's numbers, read from the engine's JSON for graph.md section 9's shop."""

from __future__ import annotations

import pytest

from mesh.views.graph_summary import (
    edge_status,
    node_status,
    summarize_edge,
    summarize_graph,
    summarize_node,
)
from tests.unit.graph_fixtures import graph_json, h, shop_answers


@pytest.fixture(scope="module")
def shop() -> dict:  # type: ignore[type-arg]
    return graph_json({"namespaces": "shop", "graphType": "workload"}, shop_answers)


def edge_id(document: dict, source: str, target: str) -> str:  # type: ignore[type-arg]
    return next(
        e["data"]["id"]
        for e in document["elements"]["edges"]
        if e["data"]["source"] == h(source) and e["data"]["target"] == h(target)
    )


def test_a_node_summary_adds_inbound_and_outbound_edges_per_protocol(shop):
    summary = summarize_node(shop, h("wl_c1_shop_frontend-v1"))
    assert summary is not None and summary.name == "frontend-v1"
    inbound = {line.protocol: line for line in summary.inbound}
    outbound = {line.protocol: line for line in summary.outbound}
    assert inbound["http"].rate == pytest.approx(10.5) and inbound["http"].edges == 2
    assert outbound["http"].rate == pytest.approx(10.3)
    assert outbound["http"].errors == pytest.approx(1.0)
    assert outbound["grpc"].percent_error == pytest.approx(10.0)


def test_a_node_with_5xx_inbound_is_degraded_by_its_own_rates(shop):
    cart = summarize_node(shop, h("wl_c1_shop_cart-v1"))
    assert cart is not None
    assert cart.status == "Failure"  # 1 of 5 requests is a 503: 20 % is past the 10 % tolerance
    assert summarize_node(shop, h("wl_c1_shop_cart-v2")).status == "Healthy"  # type: ignore[union-attr]


def test_an_edge_summary_carries_rate_errors_share_and_responses(shop):
    edge = summarize_edge(shop, edge_id(shop, "wl_c1_shop_frontend-v1", "wl_c1_shop_cart-v1"))
    assert edge is not None
    assert (edge.source_name, edge.target_name, edge.protocol) == ("frontend-v1", "cart-v1", "http")
    assert edge.rate == pytest.approx(5.0)
    assert edge.percent_error == pytest.approx(20.0)
    assert edge.percent_req == pytest.approx(48.5)
    assert edge.status == "Failure"
    assert ("503", "UF 20.0%", "cart.shop.svc.cluster.local 20.0%") in edge.responses


def test_unknown_ids_give_no_summary(shop):
    assert summarize_node(shop, "nope") is None
    assert summarize_edge(shop, "nope") is None


def test_engine_health_wins_over_rates():
    node = {"healthData": {"status": {"status": "Degraded"}}, "traffic": []}
    assert node_status(node) == "Degraded"
    assert edge_status({"healthStatus": "Failure", "traffic": {"protocol": "http"}}) == "Failure"


@pytest.mark.parametrize(
    ("rates", "expected"),
    [
        ({"http": "10.00"}, "Healthy"),
        ({"http": "10.00", "http5xx": "0.50"}, "Degraded"),
        ({"http": "10.00", "http5xx": "1.00"}, "Failure"),
        ({"http": "10.00", "http4xx": "0.50"}, "Healthy"),
        ({"http": "10.00", "http4xx": "1.50"}, "Degraded"),
        ({"http": "10.00", "http4xx": "2.00"}, "Failure"),
    ],
)
def test_edges_follow_the_default_tolerances(rates, expected):
    assert edge_status({"traffic": {"protocol": "http", "rates": rates}}) == expected


def test_a_box_summarizes_traffic_across_its_border():
    document = graph_json({"namespaces": "shop", "graphType": "versionedApp"}, shop_answers)
    box = next(n["data"] for n in document["elements"]["nodes"] if n["data"].get("isBox") == "app")
    summary = summarize_node(document, box["id"])
    assert summary is not None and summary.name == "cart" and len(summary.members) == 2
    inbound = {line.protocol: line for line in summary.inbound}
    assert inbound["http"].rate == pytest.approx(10.0)
    assert {line.protocol for line in summary.outbound} == {"tcp"}


def test_the_graph_summary_counts_what_it_holds_and_splits_traffic_by_code_class(shop):
    summary = summarize_graph(shop)
    assert summary.namespaces == ["shop"]
    assert summary.workloads >= 3 and summary.edges == len(shop["elements"]["edges"])
    total = {line.protocol: line for line in summary.total}
    http = total["http"]
    # every class adds up to the protocol's rate, and the bar to 100 %
    assert abs(sum(rate for _, rate in http.classes) - http.rate) < 1e-6
    assert abs(sum(pct for _, pct in http.bar) - 100.0) < 1e-6
    assert dict(http.classes).get("5xx", 0) > 0 and http.percent_error > 0
    # nothing here comes from outside shop but its unknown or root sources
    inbound_rate = sum(line.rate for line in summary.inbound)
    assert inbound_rate <= sum(line.rate for line in summary.total)
