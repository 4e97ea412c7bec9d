"""The graph's PromQL: Kiali's text for one namespace, regex groups for many, fixed counts."""

from __future__ import annotations

from mesh.graph.engine import GraphRequest, plan
from mesh.graph.options import NodeSpec, parse_options
from mesh.graph.queries import namespace_groups, traffic_queries


def test_one_namespace_gives_kialis_six_queries_with_its_exact_text():
    opts = parse_options({"namespaces": "bookinfo", "ambientTraffic": "none"})
    texts = [q.text for q in plan(GraphRequest(opts, {"bookinfo": 600}, frozenset()))]
    assert len(texts) == 6
    assert texts[1].startswith(
        'round(sum(rate(istio_requests_total{reporter="destination",'
        'destination_workload_namespace="bookinfo"} [600s])) by (source_cluster,'
    )
    assert texts[1].endswith(",grpc_response_status,response_flags) > 0,0.001)")
    assert 'destination_service=~"^.+\\\\.bookinfo\\\\..+$"' in texts[0]
    assert texts[4].startswith(
        'round(sum(rate(istio_tcp_received_bytes_total{app!="ztunnel",reporter="destination",'
    )


def test_namespaces_sharing_a_window_are_grouped_ten_to_a_query():
    names = [f"ns{i}" for i in range(25)]
    windows = {n: 600 for n in names} | {"young": 30}
    groups = namespace_groups(windows)
    assert [len(g.namespaces) for g in groups] == [10, 10, 5, 1]
    opts = parse_options({"namespaces": ",".join(windows)})
    assert len(plan(GraphRequest(opts, windows, frozenset()))) == 6 * 4
    text = traffic_queries(opts, groups[0], {})[1].text
    assert 'destination_workload_namespace=~"ns0|ns1|' in text


def test_query_scope_opens_every_selector_and_idle_edges_drop_the_filter():
    opts = parse_options(
        {"namespaces": "a", "includeIdleEdges": "true", "rateGrpc": "total", "rateTcp": "total"}
    )
    texts = [q.text for q in plan(GraphRequest(opts, {"a": 60}, frozenset(), scope={"mesh": "m1"}))]
    assert len(texts) == 15
    assert all('{mesh="m1",' in t for t in texts)
    assert all(t.endswith(") ,0.001)") for t in texts)


def test_node_graph_queries_narrow_to_the_node_and_cluster():
    node = NodeSpec("workload", "shop", workload="cart-v1", cluster="c1")
    opts = parse_options({"ambientTraffic": "none", "clusterName": "c1"}, node=node)
    texts = [q.text for q in plan(GraphRequest(opts, {"shop": 600}, frozenset()))]
    assert (
        '{reporter="destination",destination_cluster="c1",destination_workload_namespace="shop",'
        'destination_workload="cart-v1"}' in texts[0]
    )
    assert '{reporter="source",source_cluster="c1",source_workload_namespace="shop",' in texts[1]
    assert len(texts) == 4
