"""Waypoints (graph.md 4.7), the ambient finalizer and the labeler, on constructed answers."""

from __future__ import annotations

from typing import Any

from mesh.graph.appenders import AppenderContext, ambient
from mesh.graph.engine import GraphRequest, build_graph, plan
from mesh.graph.model import Edge, Node, TrafficMap
from mesh.graph.options import NodeSpec, parse_options
from mesh.graph.render import hash_id, to_json
from mesh.prometheus.client import Sample
from tests.unit.graph_fixtures import by_id, dst, h, req, tcp

PRODUCTPAGE = ("c1", "ambi", "productpage-v1", "productpage", "v1")
WAYPOINT_SRC = ("c1", "ambi", "waypoint", "waypoint", "latest")
WAYPOINT_DST = dst("c1", "ambi", "waypoint", "waypoint", "waypoint", "latest")
PRODUCTPAGE_DST = dst("c1", "ambi", "productpage", "productpage-v1", "productpage", "v1")
REVIEWS_DST = dst("c1", "ambi", "reviews", "reviews-v1", "reviews", "v1")
DETAILS_DST = dst("c1", "ambi", "details", "details-v1", "details", "v1")

HTTP = [req(PRODUCTPAGE, REVIEWS_DST, 3)]
TCP = [
    tcp(PRODUCTPAGE, WAYPOINT_DST, 900),  # productpage -> its waypoint
    tcp(WAYPOINT_SRC, PRODUCTPAGE_DST, 300),  # and the way back
    tcp(WAYPOINT_SRC, DETAILS_DST, 500),  # the waypoint on to details, its only caller
]


def answers(text: str) -> list[Sample]:
    # what the source reporters sent (not the queries for unserved requests)
    if 'source_workload_namespace="ambi"' not in text or 'destination_workload="unknown"' in text:
        return []
    if "istio_requests_total" in text:
        return HTTP
    if "istio_tcp_received_bytes_total" in text:
        return TCP
    return []


def deployment(name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "ambi", "labels": labels},
        "spec": {
            "selector": {"matchLabels": {"app": labels.get("app", name)}},
            "template": {"metadata": {"labels": labels}},
        },
    }


DEPLOYMENTS = [
    deployment(
        "waypoint",
        {"gateway.istio.io/managed": "istio.io-mesh-controller", "app": "waypoint"},
    ),
    deployment(
        "productpage-v1",
        {"app": "productpage", "version": "v1", "team": "books", "tier": "front"},
    ),
]
SERVICES = [{"metadata": {"name": "reviews", "namespace": "ambi", "labels": {"team": "books"}}}]


def objects(cluster: str, group_version: str, plural: str) -> list[dict[str, Any]]:
    if (group_version, plural) == ("apps/v1", "deployments"):
        return DEPLOYMENTS
    if (group_version, plural) == ("v1", "services"):
        return SERVICES
    return []


def graph(**params: str) -> dict[str, Any]:
    opts = parse_options(
        {"namespaces": "ambi", "graphType": "versionedApp", "appenders": "ambient", **params},
        now=1_700_000_000,
    )
    request = GraphRequest(
        opts=opts,
        windows={"ambi": opts.duration},
        accessible=frozenset({("c1", "ambi")}),
        ambient=frozenset({"ambi"}),
        objects=objects,
        ambient_mesh=True,
    )
    return to_json(build_graph(request, answers), opts)


def test_waypoint_ends_are_workload_nodes_and_the_way_back_folds_into_the_way_there():
    document = graph(rateTcp="sent")
    nodes, edges = by_id(document)
    waypoint = nodes[h("wl_c1_ambi_waypoint")]
    assert waypoint["isWaypoint"] is True and "app" not in waypoint  # app blanked
    there = edges[(h("vapp_c1_ambi_productpage-v1"), h("wl_c1_ambi_waypoint"), "tcp")]
    folded = there["waypoint"]
    assert folded["direction"] == "to"
    productpage = hash_id("vapp_c1_ambi_productpage-v1")
    back = folded["fromEdge"]
    # Kiali converts the way back as leaving the edge's owner: both ends are productpage
    assert back["source"] == back["target"] == productpage
    assert back["traffic"]["rates"] == {"tcp": "300.00"}
    assert (h("wl_c1_ambi_waypoint"), h("vapp_c1_ambi_productpage-v1"), "tcp") not in edges
    onward = edges[(h("wl_c1_ambi_waypoint"), h("vapp_c1_ambi_details-v1"), "tcp")]
    assert onward["waypoint"] == {"direction": "from"}
    http = edges[(h("vapp_c1_ambi_productpage-v1"), h("vapp_c1_ambi_reviews-v1"), "http")]
    assert "waypoint" not in http


def test_with_waypoints_hidden_they_go_with_the_nodes_only_they_reached():
    nodes, edges = by_id(graph(rateTcp="sent", waypoints="false"))
    assert h("wl_c1_ambi_waypoint") not in nodes
    assert h("vapp_c1_ambi_details-v1") not in nodes  # its one caller was the waypoint
    assert set(edges) == {(h("vapp_c1_ambi_productpage-v1"), h("vapp_c1_ambi_reviews-v1"), "http")}


def test_without_ambient_traffic_no_waypoint_is_looked_for():
    nodes, _ = by_id(graph(rateTcp="sent", ambientTraffic="none"))
    # the waypoint is telemetry's plain workload then, app and all
    assert h("vapp_c1_ambi_waypoint") in nodes and h("wl_c1_ambi_waypoint") not in nodes


def test_the_labeler_copies_the_backing_objects_labels_but_app_and_version():
    nodes, _ = by_id(graph(rateTcp="none", appenders="labeler"))
    assert nodes[h("vapp_c1_ambi_productpage-v1")]["labels"] == {"team": "books", "tier": "front"}
    assert "labels" not in nodes[h("vapp_c1_ambi_reviews-v1")]  # no such deployment listed


def test_a_gateway_api_gateway_sending_into_a_waypoint_is_marked():
    tmap = TrafficMap()
    gateway = tmap.add(Node("wl_c1_ambi_gw", "workload", "c1", "ambi", workload="gw"))
    gateway.flags["isGateway"] = {"gatewayAPIInfo": {"hostnames": ["shop.test"]}}
    waypoint = tmap.add(Node("wl_c1_ambi_waypoint", "workload", "c1", "ambi", workload="w"))
    waypoint.is_waypoint = True
    waypoint.flags["isOutOfMesh"] = True
    tmap.add_edge(Edge(gateway.id, waypoint.id, "http"))
    opts = parse_options({"namespaces": "ambi"}, now=1_700_000_000)
    ctx = AppenderContext(opts, frozenset({"ambi"}), frozenset({("c1", "ambi")}), [], lambda t: [])
    ambient.apply(tmap, ctx)
    assert gateway.flags["hasIngressWaypoint"] is True
    assert "isOutOfMesh" not in waypoint.flags


def test_a_waypoints_node_graph_reads_its_tcp_from_the_ends_around_it():
    node = NodeSpec("workload", "ambi", workload="waypoint")
    opts = parse_options({"graphType": "workload", "rateTcp": "sent"}, node=node, now=1_700_000_000)
    request = GraphRequest(
        opts=opts,
        windows={"ambi": 60},
        accessible=frozenset({("c1", "ambi")}),
        objects=objects,
        ambient_mesh=True,
    )
    tcp_queries = [q.text for q in plan(request) if "istio_tcp" in q.text]
    assert 'reporter=~"waypoint|source",destination_workload_namespace="ambi"' in tcp_queries[0]
    assert 'reporter=~"waypoint|destination",source_workload_namespace="ambi"' in tcp_queries[1]
    plain = parse_options(
        {"graphType": "workload", "rateTcp": "sent"},
        now=1_700_000_000,
        node=NodeSpec("workload", "ambi", workload="productpage-v1"),
    )
    request.opts = plain
    assert 'reporter="destination"' in next(q.text for q in plan(request) if "istio_tcp" in q.text)
