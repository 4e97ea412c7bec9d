"""Telemetry -> nodes, edges, rates and flags (graph.md section 9's worked example and more)."""

from __future__ import annotations

from mesh.prometheus.client import Sample
from tests.unit.graph_fixtures import (
    CART1_DST,
    FRONTEND,
    FRONTEND_DST,
    INGRESS,
    dst,
    graph_json,
    h,
    req,
    shop_answers,
)


def nodes_of(document):
    return {n["data"]["id"]: n["data"] for n in document["elements"]["nodes"]}


def edge(document, source, target, protocol="http"):
    found = [
        e["data"]
        for e in document["elements"]["edges"]
        if e["data"]["source"] == h(source)
        and e["data"]["target"] == h(target)
        and e["data"]["traffic"]["protocol"] == protocol
    ]
    assert len(found) == 1, (source, target, protocol)
    return found[0]


def test_workload_graph_of_the_worked_example():
    document = graph_json({"namespaces": "shop", "graphType": "workload"}, shop_answers)
    nodes = nodes_of(document)
    assert set(nodes) == {
        h(i)
        for i in (
            "wl_c1_istio-system_istio-ingressgateway",
            "unknown_unknown_source",
            "wl_c1_shop_frontend-v1",
            "wl_c1_shop_cart-v1",
            "wl_c1_shop_cart-v2",
            "wl_c1_shop_reco-v1",
            "wl_c1_shop_redis-v1",
            "svc_c1_unknown_PassthroughCluster",
        )
    }
    ingress = nodes[h("wl_c1_istio-system_istio-ingressgateway")]
    assert ingress["isRoot"] and ingress["isOutside"] and ingress["isInaccessible"]
    unknown = nodes[h("unknown_unknown_source")]
    assert unknown["nodeType"] == "unknown" and unknown["workload"] == "unknown"
    assert unknown["isInaccessible"] and unknown["isRoot"]
    frontend = nodes[h("wl_c1_shop_frontend-v1")]
    assert frontend["traffic"] == [
        {"protocol": "grpc", "rates": {"grpcOut": "2.00"}},
        {"protocol": "http", "rates": {"httpIn": "10.50", "httpOut": "10.30"}},
    ]
    assert "isOutside" not in frontend and "isInaccessible" not in frontend
    cart = edge(document, "wl_c1_shop_frontend-v1", "wl_c1_shop_cart-v1")
    assert cart["traffic"]["rates"] == {
        "http": "5.00",
        "http5xx": "1.00",
        "httpPercentErr": "20.0",
        "httpPercentReq": "48.5",
    }
    assert cart["traffic"]["responses"]["503"] == {
        "flags": {"UF": "20.0"},
        "hosts": {"cart.shop.svc.cluster.local": "20.0"},
    }
    grpc = edge(document, "wl_c1_shop_frontend-v1", "wl_c1_shop_reco-v1", "grpc")
    assert grpc["traffic"]["rates"] == {
        "grpc": "2.00",
        "grpcErr": "0.20",
        "grpcPercentErr": "10.0",
        "grpcPercentReq": "100.0",
    }
    assert set(grpc["traffic"]["responses"]) == {"14", "0"}
    tcp = edge(document, "wl_c1_shop_cart-v1", "wl_c1_shop_redis-v1", "tcp")
    assert tcp["traffic"]["rates"] == {"tcp": "2048.00"}
    passthrough = edge(document, "wl_c1_shop_frontend-v1", "svc_c1_unknown_PassthroughCluster")
    assert passthrough["traffic"]["rates"]["httpPercentReq"] == "2.9"
    assert nodes[h("svc_c1_unknown_PassthroughCluster")]["isInaccessible"]
    assert len(document["elements"]["edges"]) == 7
    assert document["timestamp"] == 1_700_000_000 and document["duration"] == 600


def test_versioned_app_graph_boxes_the_two_cart_versions():
    document = graph_json({"namespaces": "shop", "graphType": "versionedApp"}, shop_answers)
    nodes = nodes_of(document)
    box = nodes[h("box_c1_shop_cart")]
    assert box["isBox"] == "app" and box["nodeType"] == "box" and box["app"] == "cart"
    assert nodes[h("vapp_c1_shop_cart-v1")]["parent"] == box["id"]
    assert nodes[h("vapp_c1_shop_cart-v2")]["parent"] == box["id"]
    assert document["elements"]["nodes"][0]["data"]["isBox"] == "app"  # parents come first


def test_app_graph_merges_versions_into_one_node():
    document = graph_json({"namespaces": "shop", "graphType": "app"}, shop_answers)
    cart = edge(document, "app_c1_shop_frontend", "app_c1_shop_cart")
    assert cart["traffic"]["rates"] == {
        "http": "10.00",
        "http5xx": "1.00",
        "httpPercentErr": "10.0",
        "httpPercentReq": "97.1",
    }
    assert cart["traffic"]["responses"]["200"]["flags"] == {"-": "90.0"}
    assert not any(n["data"].get("isBox") for n in document["elements"]["nodes"])


def test_injected_service_nodes_sit_between_workloads():
    document = graph_json(
        {"namespaces": "shop", "graphType": "workload", "injectServiceNodes": "true"}, shop_answers
    )
    nodes = nodes_of(document)
    assert nodes[h("svc_c1_shop_cart")]["isInjected"]
    into = edge(document, "wl_c1_shop_frontend-v1", "svc_c1_shop_cart")
    assert into["traffic"]["rates"]["http"] == "10.00"
    assert into["traffic"]["rates"]["httpPercentErr"] == "10.0"
    v1 = edge(document, "svc_c1_shop_cart", "wl_c1_shop_cart-v1")
    assert v1["traffic"]["rates"]["httpPercentReq"] == "50.0"
    edge(document, "wl_c1_shop_frontend-v1", "svc_c1_unknown_PassthroughCluster")


def test_service_graph_keeps_services_and_the_roots_calling_them():
    document = graph_json({"namespaces": "shop", "graphType": "service"}, shop_answers)
    nodes = nodes_of(document)
    kinds = {n["nodeType"] for n in nodes.values()}
    assert kinds == {"service", "workload", "unknown"}
    assert nodes[h("wl_c1_istio-system_istio-ingressgateway")]["isRoot"]
    cart = edge(document, "svc_c1_shop_frontend", "svc_c1_shop_cart")
    assert cart["traffic"]["rates"]["http"] == "10.00"
    assert cart["traffic"]["rates"]["httpPercentReq"] == "97.1"
    edge(document, "svc_c1_shop_frontend", "svc_c1_shop_reco", "grpc")
    edge(document, "svc_c1_shop_cart", "svc_c1_shop_redis", "tcp")
    frontend = nodes[h("svc_c1_shop_frontend")]
    assert {"protocol": "grpc", "rates": {"grpcOut": "2.00"}} in frontend["traffic"]


def test_series_seen_by_both_reporters_count_once():
    document = graph_json({"namespaces": "shop"}, shop_answers)
    reco = nodes_of(document)[h("wl_c1_shop_reco-v1")]
    assert reco["traffic"] == [
        {"protocol": "grpc", "rates": {"grpcIn": "2.00", "grpcInErr": "0.20"}}
    ]


WEST_SLEEP = ("west", "sample", "sleep", "sleep", "latest")
EAST_SLEEP = ("east", "sample", "sleep", "sleep", "latest")
HELLO_EAST = dst("east", "sample", "helloworld", "helloworld-v1", "helloworld", "v1")
HELLO_WEST = dst("west", "sample", "helloworld", "helloworld-v2", "helloworld", "v2")


def multi_cluster(text):
    if 'reporter="destination"' in text and "istio_requests_total" in text:
        return [
            req(WEST_SLEEP, HELLO_EAST, 1),
            req(WEST_SLEEP, HELLO_WEST, 1),
            req(EAST_SLEEP, HELLO_EAST, 2),
        ]
    return []


def test_cross_cluster_edges_land_in_cluster_boxes():
    document = graph_json(
        {"namespaces": "sample", "boxBy": "cluster"},
        multi_cluster,
        accessible={("east", "sample"), ("west", "sample")},
    )
    nodes = nodes_of(document)
    east, west = nodes[h("box_east")], nodes[h("box_west")]
    assert east["isBox"] == west["isBox"] == "cluster"
    assert nodes[h("wl_west_sample_sleep")]["parent"] == west["id"]
    assert nodes[h("wl_east_sample_helloworld-v1")]["parent"] == east["id"]
    cross = edge(document, "wl_west_sample_sleep", "wl_east_sample_helloworld-v1")
    assert cross["traffic"]["rates"]["httpPercentReq"] == "50.0"


def test_one_namespace_in_two_clusters_makes_two_cluster_boxes_around_its_two_boxes():
    document = graph_json(
        {"namespaces": "sample", "boxBy": "cluster,namespace"},
        multi_cluster,
        accessible={("east", "sample"), ("west", "sample")},
    )
    nodes = nodes_of(document)
    for cluster in ("east", "west"):
        namespace_box = nodes[h(f"box_{cluster}_sample")]
        assert namespace_box["isBox"] == "namespace"
        # each cluster box holds a single member, its namespace box, and is drawn anyway
        assert namespace_box["parent"] == nodes[h(f"box_{cluster}")]["id"]
        assert nodes[h(f"box_{cluster}")]["isBox"] == "cluster"


def test_nodes_of_clusters_the_caller_cannot_see_are_inaccessible():
    document = graph_json({"namespaces": "sample"}, multi_cluster, accessible={("east", "sample")})
    nodes = nodes_of(document)
    assert nodes[h("wl_west_sample_sleep")]["isInaccessible"]
    assert "isInaccessible" not in nodes[h("wl_east_sample_helloworld-v1")]


def test_a_missing_destination_cluster_takes_the_source_cluster():
    sample = req(FRONTEND, CART1_DST, 1)
    labels = dict(sample.labels)
    del labels["destination_cluster"]
    document = graph_json(
        {"namespaces": "shop"}, lambda t: [Sample(labels, 1)] if "destination" in t else []
    )
    assert h("wl_c1_shop_cart-v1") in nodes_of(document)


def test_samples_missing_required_labels_or_from_bad_sources_are_skipped():
    broken = dict(req(FRONTEND, CART1_DST, 1).labels)
    del broken["destination_workload"]
    bad_source = req(("c1", "shop", "unknown", "unknown", "unknown"), CART1_DST, 1)
    document = graph_json(
        {"namespaces": "shop"}, lambda t: [Sample(broken, 1), bad_source] if "source" in t else []
    )
    assert document["elements"] == {"nodes": [], "edges": []}


def test_zero_rate_samples_make_idle_edges_without_rates():
    document = graph_json(
        {"namespaces": "shop", "includeIdleEdges": "true"},
        lambda t: (
            [req(INGRESS, FRONTEND_DST, 0)] if 'requests_total{reporter="destination"' in t else []
        ),
    )
    (only,) = document["elements"]["edges"]
    assert only["data"]["traffic"] == {"protocol": "http"}


def test_no_traffic_gives_an_empty_graph():
    document = graph_json({"namespaces": "shop"}, lambda t: [])
    assert document["elements"] == {"nodes": [], "edges": []}
