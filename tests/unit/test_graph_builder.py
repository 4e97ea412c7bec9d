"""The traffic builder's shortcuts keep graph.md 4.3-4.8's results: a label set decided once,
answers prepared out of order but applied in query order, the clean-up's fast path."""

from __future__ import annotations

import gc
import threading

import msgspec
import pytest

from mesh.api.graph import GraphResponse
from mesh.gc_pause import Hold, gc_paused
from mesh.graph import engine
from mesh.graph.build import EGRESS_GATEWAY, TrafficBuilder, cleanup_ends, sample_values
from mesh.graph.engine import GraphDocument
from mesh.graph.model import Node, TrafficMap
from mesh.graph.options import parse_options
from mesh.graph.render import hash_id, to_json
from mesh.graph.render_ahead import EdgeCache
from mesh.prometheus.client import Sample
from tests.unit.graph_fixtures import CART1_DST, CART2_DST, FRONTEND, req

METRIC = "istio_requests_total"


def options(**params: str):
    return parse_options(
        {"namespaces": "shop", "graphType": "workload", "appenders": "", **params},
        now=1_700_000_000,
    )


def edges_of(tmap: TrafficMap) -> dict[tuple[str, str, str], dict[str, float]]:
    return {(e.source, e.dest, e.protocol): dict(e.rates) for e in tmap.edges()}


def test_a_series_met_again_in_a_later_answer_keeps_the_first_value():
    tmap = TrafficMap()
    builder = TrafficBuilder(tmap, options())
    builder.add(METRIC, [req(FRONTEND, CART1_DST, 4)])  # destination-reported
    builder.add(METRIC, [req(FRONTEND, CART1_DST, 3.9), req(FRONTEND, CART2_DST, 1)])
    rates = edges_of(tmap)
    assert rates[("wl_c1_shop_frontend-v1", "wl_c1_shop_cart-v1", "http")] == {"http": 4}
    assert rates[("wl_c1_shop_frontend-v1", "wl_c1_shop_cart-v2", "http")] == {"http": 1}
    assert tmap.node("wl_c1_shop_cart-v1").rates == {"httpIn": 4}


def test_label_sets_that_clean_to_one_key_count_once_as_in_kiali():
    # gRPC codes: HTTP 200 and 201 with grpc-status 2 both become code "2", so Kiali's
    # key (graph.md 4.8) is the same and the second series is dropped although distinct.
    first = req(FRONTEND, CART1_DST, 2, protocol="grpc", code="200", grpc="2")
    second = req(FRONTEND, CART1_DST, 5, protocol="grpc", code="201", grpc="2")
    tmap = TrafficMap()
    TrafficBuilder(tmap, options()).add(METRIC, [first, second])
    edge = tmap.edge("wl_c1_shop_frontend-v1", "wl_c1_shop_cart-v1", "grpc")
    assert edge is not None and edge.rates == {"grpc": 2, "grpcErr": 2}


def test_answers_prepared_out_of_order_apply_in_query_order():
    answers = [
        [req(FRONTEND, CART1_DST, 4), req(FRONTEND, CART1_DST, 1, code="503", flags="UF")],
        [req(FRONTEND, CART1_DST, 3.5), req(FRONTEND, CART2_DST, 2)],
    ]
    opts = options(injectServiceNodes="true")
    in_order = TrafficMap()
    builder = TrafficBuilder(in_order, opts)
    for samples in answers:
        builder.add(METRIC, samples)

    shuffled = TrafficMap()
    builder = TrafficBuilder(shuffled, opts)
    prepared: dict[int, object] = {}

    def prepare(index: int) -> None:
        prepared[index] = builder.prepare(METRIC, sample_values(answers[index]))

    workers = [threading.Thread(target=prepare, args=(i,)) for i in (1, 0)]
    for worker in workers:
        worker.start()
        worker.join()
    for index in (0, 1):
        builder.apply(METRIC, prepared[index])  # type: ignore[arg-type]
    assert to_json(shuffled, opts) == to_json(in_order, opts)
    svc_edge = ("svc_c1_shop_cart", "wl_c1_shop_cart-v1", "http")
    assert edges_of(shuffled)[svc_edge] == {"http": 5, "http5xx": 1}


def test_edges_written_ahead_are_written_again_once_anything_they_show_changes():
    opts = options()
    ahead = EdgeCache(TrafficMap())
    builder = TrafficBuilder(ahead.tmap, opts, touched=ahead.pending)
    builder.add(METRIC, [req(FRONTEND, CART1_DST, 4), req(FRONTEND, CART2_DST, 1)])
    while ahead.advance(budget=1):
        pass
    tmap = ahead.tmap
    hashes = {node.id: hash_id(node.id) for node in tmap.nodes()}
    frontend = tmap.node("wl_c1_shop_frontend-v1")

    def element(dest: str) -> bytes:
        edge = tmap.edge("wl_c1_shop_frontend-v1", dest, "http")
        assert edge is not None
        return msgspec.json.encode(ahead(edge, frontend, hashes)[1])

    written = element("wl_c1_shop_cart-v2")
    # Later answers: an error on one edge, and more traffic from the same source, which
    # changes the other edge's share of requests although its own rates stay the same.
    builder.add(METRIC, [req(FRONTEND, CART1_DST, 1, code="503", flags="UF")])
    assert msgspec.json.encode(to_json(tmap, opts, edges=ahead)) == msgspec.json.encode(
        to_json(tmap, opts)
    )
    now = element("wl_c1_shop_cart-v2")
    assert written != now and b'"httpPercentReq":"16.7"' in now
    edge = tmap.edge("wl_c1_shop_frontend-v1", "wl_c1_shop_cart-v2", "http")
    assert edge is not None
    # an appender's change to an edge's rates is seen as well
    edge.rates["http"] = 2.0
    assert b'"http":"2.00"' in element("wl_c1_shop_cart-v2")
    # and one to its responses alone
    edge.add_response("200", "", "cart.shop.svc.cluster.local", 0.0)
    assert b"cart.shop.svc.cluster.local" in element("wl_c1_shop_cart-v2")
    # metadata an appender adds is written around the copy of the traffic
    edge.meta["responseTime"] = 12.0
    assert b'"responseTime":"12"' in element("wl_c1_shop_cart-v2")
    assert msgspec.json.encode(to_json(tmap, opts, edges=ahead)) == msgspec.json.encode(
        to_json(tmap, opts)
    )


def test_an_edge_written_ahead_and_then_moved_is_written_with_its_new_ends():
    opts = options()
    ahead = EdgeCache(TrafficMap())
    builder = TrafficBuilder(ahead.tmap, opts, touched=ahead.pending)
    builder.add(METRIC, [req(FRONTEND, CART1_DST, 4), req(FRONTEND, CART2_DST, 1)])
    while ahead.advance():
        pass
    tmap = ahead.tmap
    edge = tmap.edge("wl_c1_shop_frontend-v1", "wl_c1_shop_cart-v2", "http")
    assert edge is not None
    # as the serviceEntry appender moves an edge onto the node that replaces its end
    tmap.add(Node("wl_c1_shop_cart-v3", "workload", "c1", "shop", workload="cart-v3"))
    tmap.remove_edge(edge)
    edge.dest = "wl_c1_shop_cart-v3"
    tmap.add_edge(edge)
    assert msgspec.json.encode(to_json(tmap, opts, edges=ahead)) == msgspec.json.encode(
        to_json(tmap, opts)
    )


def test_known_labels_take_the_plain_mapping_and_the_egress_rule_still_applies():
    labels = req(FRONTEND, CART1_DST, 1).labels
    assert cleanup_ends(labels) == (
        ("c1", "shop", "", "shop", "frontend-v1", "frontend", "v1"),
        ("c1", "shop", "cart", "shop", "cart-v1", "cart", "v1"),
    )
    egress = dict(labels, destination_service=EGRESS_GATEWAY)
    egress["destination_service_name"] = EGRESS_GATEWAY
    assert cleanup_ends(egress)[1] == (  # type: ignore[index]
        "c1",
        "istio-system",
        "istio-egressgateway",
        "istio-system",
        "istio-egressgateway",
        "istio-egressgateway",
        "latest",
    )
    # a waypoint workload loses its app, known labels or not
    waypoints = {("c1", "shop", "cart-v1")}
    assert cleanup_ends(labels, waypoints)[1][5] == ""  # type: ignore[index]


def test_a_missing_label_still_goes_through_every_rule():
    labels = dict(req(FRONTEND, CART1_DST, 1).labels)
    del labels["destination_cluster"]  # not grouped by: the source's cluster stands in
    assert cleanup_ends(labels)[1][0] == "c1"  # type: ignore[index]
    labels["source_workload"] = "unknown"
    labels["source_canonical_service"] = "unknown"
    assert cleanup_ends(labels) is None  # a known namespace with no workload or app


def test_nested_pauses_restore_the_collector_once_the_last_ends():
    assert gc.isenabled()
    with gc_paused():
        hold = Hold()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert not gc.isenabled()  # the hold outlives the blocks
    hold.release()
    hold.release()  # a second release does nothing
    assert gc.isenabled()


def test_a_lost_hold_gives_the_collector_back():
    hold = Hold()
    assert not gc.isenabled()
    del hold
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_sample_is_read_by_name_or_position():
    sample = Sample({"a": "b"}, 2.5)
    assert (sample.labels, sample.value, sample.timestamp) == ({"a": "b"}, 2.5, 0.0)
    assert sample[:2] == ({"a": "b"}, 2.5)


@pytest.mark.django_db  # closing a response sends request_finished, which closes connections
def test_the_graph_response_lets_the_graph_go_when_closed():
    document = GraphDocument(b'{"elements": {}}', TrafficMap(), {"elements": {}}, Hold())
    response = GraphResponse(document)
    assert (
        response.content == b'{"elements": {}}' and response["Content-Type"] == "application/json"
    )
    assert not gc.isenabled()
    response.close()
    assert document.traffic_map is None and gc.isenabled()


def test_a_document_with_a_key_that_is_no_string_still_encodes(monkeypatch):
    opts = options()
    request = engine.GraphRequest(opts, {"shop": opts.duration}, frozenset({("c1", "shop")}))
    monkeypatch.setattr(engine, "to_json", lambda tmap, opts, **_: {"elements": {200: "ok"}})
    document = engine.graph_document(request, lambda text: [])
    try:
        assert document.body == b'{"elements":{"200":"ok"}}'
    finally:
        document.release()
    assert gc.isenabled()
