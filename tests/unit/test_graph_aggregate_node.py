"""aggregateNode (graph.md 5.2): request-classification nodes, on constructed answers."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from mesh.graph.options import NodeSpec, OptionsError, parse_options
from mesh.graph.queries import node_queries
from mesh.prometheus.client import Sample
from mesh.views.graph_links import NodeFocus, node_graph_url
from tests.unit.graph_fixtures import (
    CART1_DST,
    CART2_DST,
    FRONTEND,
    by_id,
    graph_json,
    h,
    req,
    shop_answers,
)


def operation(sample: Sample, name: str) -> Sample:
    return Sample({**sample.labels, "request_operation": name}, sample.value)


CLASSIFIED = [
    operation(req(FRONTEND, CART1_DST, 3), "AddItem"),
    operation(req(FRONTEND, CART1_DST, 1, code="503", flags="UF"), "GetCart"),
    operation(req(FRONTEND, CART2_DST, 5), "AddItem"),
]


def answers(text: str) -> list[Sample]:
    if "request_operation" in text:
        inside = 'source_workload_namespace="shop"' in text
        return CLASSIFIED if inside else []
    return shop_answers(text)


def test_classified_requests_go_through_one_node_per_operation():
    sent: list[str] = []
    nodes, edges = by_id(
        graph_json({"namespaces": "shop", "appenders": "aggregateNode"}, answers, sent=sent)
    )
    add, get = (
        h("agg_c1_shop_request_operation_AddItem"),
        h("agg_c1_shop_request_operation_GetCart"),
    )
    assert nodes[add]["nodeType"] == "aggregate"
    assert nodes[add]["aggregate"] == "request_operation=AddItem"
    assert nodes[add]["traffic"] == [
        {"protocol": "http", "rates": {"httpIn": "8.00", "httpOut": "8.00"}}
    ]
    frontend, cart1, cart2 = (
        h("wl_c1_shop_frontend-v1"),
        h("wl_c1_shop_cart-v1"),
        h("wl_c1_shop_cart-v2"),
    )
    # the direct edges are replaced by source -> operation -> destination
    assert (frontend, cart1, "http") not in edges and (frontend, cart2, "http") not in edges
    assert edges[(frontend, add, "http")]["traffic"]["rates"]["http"] == "8.00"
    assert edges[(add, cart1, "http")]["traffic"]["rates"]["http"] == "3.00"
    assert edges[(add, cart2, "http")]["traffic"]["rates"]["http"] == "5.00"
    failing = edges[(get, cart1, "http")]["traffic"]
    assert failing["rates"]["http5xx"] == "1.00" and failing["responses"]["503"]["flags"] == {
        "UF": "100.0"
    }
    # the ends keep the rates they had from the traffic queries
    assert nodes[cart1]["traffic"][0]["rates"]["httpIn"] == "5.00"
    classified = [t for t in sent if "request_operation" in t]
    assert classified == [
        'round(sum(rate(istio_requests_total{reporter="destination",source_workload_namespace!="shop",'
        'destination_service_namespace="shop",request_operation!="unknown"}[600s])) by '
        "(source_cluster,source_workload_namespace,source_workload,source_canonical_service,"
        "source_canonical_revision,destination_cluster,destination_service_namespace,"
        "destination_service,destination_service_name,destination_workload_namespace,"
        "destination_workload,destination_canonical_service,destination_canonical_revision,"
        "request_protocol,response_code,grpc_response_status,response_flags,request_operation) > 0,0.001)",
        classified[0].replace('!="shop",destination_service_namespace="shop"', '="shop"'),
    ]


def test_with_service_nodes_each_operation_belongs_to_its_service():
    nodes, edges = by_id(
        graph_json(
            {"namespaces": "shop", "appenders": "aggregateNode", "injectServiceNodes": "true"},
            answers,
        )
    )
    add = h("agg_c1_shop_request_operation_AddItem_cart")
    assert (
        nodes[add]["service"] == "cart" and nodes[add]["aggregate"] == "request_operation=AddItem"
    )
    frontend, svc = h("wl_c1_shop_frontend-v1"), h("svc_c1_shop_cart")
    assert (frontend, svc, "http") not in edges
    assert edges[(frontend, add, "http")]["traffic"]["rates"]["http"] == "8.00"
    assert edges[(add, svc, "http")]["traffic"]["rates"]["http"] == "8.00"
    assert (svc, h("wl_c1_shop_cart-v1"), "http") in edges  # the service's own hops stay


def test_service_graphs_and_graphs_without_requests_have_no_aggregates():
    for params in ({"graphType": "service"}, {"rateHttp": "none", "rateGrpc": "none"}):
        nodes, _ = by_id(
            graph_json({"namespaces": "shop", "appenders": "aggregateNode", **params}, answers)
        )
        assert not [n for n in nodes.values() if n["nodeType"] == "aggregate"]


def test_an_aggregate_node_graph_asks_for_its_one_operation():
    node = NodeSpec(
        "aggregate",
        "shop",
        service="cart",
        aggregate="request_operation",
        aggregate_value='Add"Item',
    )
    opts = parse_options({"graphType": "workload"}, node=node, now=1_700_000_000)
    (query,) = node_queries(opts, node, 60, {}, False)
    assert 'request_operation="Add\\"Item",destination_service_name="cart"}[60s])' in query.text
    assert query.text.endswith(",request_operation) > 0,0.001)")
    with pytest.raises(OptionsError, match="Invalid aggregate"):
        parse_options(
            {}, node=NodeSpec("aggregate", "shop", aggregate="bad-name", aggregate_value="x")
        )
    with pytest.raises(OptionsError, match="Invalid aggregateValue"):
        parse_options(
            {}, node=NodeSpec("aggregate", "shop", aggregate="op", aggregate_value="a\nb")
        )


def test_an_aggregate_node_links_to_its_own_node_graph():
    node = {
        "nodeType": "aggregate",
        "cluster": "c1",
        "namespace": "shop",
        "aggregate": "request_operation=Add Item",
        "service": "cart",
    }
    url = node_graph_url(QueryDict("graphType=workload"), node)
    assert url == (
        "/graph/node/namespaces/shop/aggregates/request_operation/Add%20Item/cart"
        "?graphType=workload&clusterName=c1"
    )
    focus = NodeFocus("aggregate", "shop", "request_operation", "Add Item", "cart")
    assert NodeFocus.from_token(focus.token) == focus
    assert focus.spec.aggregate_value == "Add Item" and focus.spec.service == "cart"
    assert focus.api_url.endswith("/aggregates/request_operation/Add%20Item/cart/graph")
