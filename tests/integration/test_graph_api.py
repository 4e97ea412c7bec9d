"""The graph API on the demo mesh, read from a real Prometheus scraping the demo telemetry."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from mesh.api.graph import SHARED_FOR
from mesh.graph.render import hash_id
from mesh.sim.demo import publish_remote_cluster
from tests.plugins.prometheus import wait_for_samples

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("clusters")]


@pytest.fixture
def demo_console(demo_mesh, east_cluster, west_cluster, prometheus_server, console_on):
    publish_remote_cluster(east_cluster, west_cluster)
    # Rates need a few scrapes; the session's Prometheus may have only just started.
    wait_for_samples(prometheus_server.url, "sum(rate(istio_tcp_sent_bytes_total[60s])) > 0")
    # The slowest counters: ecommerce-ui's few requests to order-management-v2, successes as
    # well as 503s, as both reporters saw them (the graph reads either, by its rules).
    for code in ("200", "503"):
        wait_for_samples(
            prometheus_server.url,
            "count(sum by (reporter) (rate(istio_requests_total{"
            'source_workload="ecommerce-ui-v1",destination_workload="order-management-v2",'
            f'response_code="{code}"}}[60s])) > 0) == 2',
        )
    return console_on(
        east_cluster,
        config={"external_services": {"prometheus": {"url": prometheus_server.url}}},
    )


def graph(client, path="/api/namespaces/graph", **params):
    params.setdefault("duration", "60s")
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    return response.json()


def edges_between(document, source_id, target_id):
    source, target = hash_id(source_id), hash_id(target_id)
    return {
        e["data"]["traffic"]["protocol"]: e["data"]
        for e in document["elements"]["edges"]
        if e["data"]["source"] == source and e["data"]["target"] == target
    }


def node(document, internal_id):
    wanted = hash_id(internal_id)
    return next(n["data"] for n in document["elements"]["nodes"] if n["data"]["id"] == wanted)


def test_ecommerce_ui_calls_every_backend(client, demo_console):
    document = graph(client, namespaces="ecommerce", graphType="workload")
    ui = "wl_east_ecommerce_ecommerce-ui-v1"
    for backend in (
        "product-catalog-v1",
        "product-catalog-v2",
        "profile-management-v1",
        "order-management-v1",
        "order-management-v2",
        "contact-support-team-v1",
    ):
        assert "http" in edges_between(document, ui, f"wl_east_ecommerce_{backend}"), backend
    assert document["graphType"] == "workload" and document["duration"] == 60


def test_product_catalog_canary_splits_80_20(client, demo_console):
    document = graph(
        client, namespaces="ecommerce", graphType="versionedApp", injectServiceNodes="true"
    )
    service = "svc_east_ecommerce_product-catalog"
    v1 = edges_between(document, service, "vapp_east_ecommerce_product-catalog-v1")["http"]
    v2 = edges_between(document, service, "vapp_east_ecommerce_product-catalog-v2")["http"]
    share_v1 = float(v1["traffic"]["rates"]["httpPercentReq"])
    share_v2 = float(v2["traffic"]["rates"]["httpPercentReq"])
    assert abs(share_v1 - 80) <= 5 and abs(share_v2 - 20) <= 5


def test_order_management_v2_edges_carry_errors_and_the_circuit_breaker(
    client, demo_console, prometheus_server
):
    document = graph(client, namespaces="ecommerce", graphType="workload")
    edge = edges_between(
        document, "wl_east_ecommerce_ecommerce-ui-v1", "wl_east_ecommerce_order-management-v2"
    )["http"]
    rates = edge["traffic"]["rates"]
    assert float(rates["http5xx"]) > 0
    assert 45 <= float(rates["httpPercentErr"]) <= 75
    assert "503" in edge["traffic"]["responses"]
    for version in ("v1", "v2"):
        assert node(document, f"wl_east_ecommerce_order-management-{version}").get("hasCB")
    assert not node(document, "wl_east_ecommerce_ecommerce-ui-v1").get("hasCB")


def test_grpc_and_tcp_edges_are_drawn(client, demo_console):
    document = graph(client, namespaces="ecommerce", graphType="workload")
    grpc = edges_between(
        document, "wl_east_ecommerce_product-catalog-v1", "wl_east_ecommerce_product-inventory-v1"
    )
    assert float(grpc["grpc"]["traffic"]["rates"]["grpc"]) > 0
    tcp = edges_between(
        document,
        "wl_east_ecommerce_order-management-v1",
        "wl_east_ecommerce_shipping-and-handling-v1",
    )
    assert float(tcp["tcp"]["traffic"]["rates"]["tcp"]) > 0


def test_sleep_in_west_calls_helloworld_in_east_across_cluster_boxes(client, demo_console):
    document = graph(client, namespaces="sample", graphType="workload", boxBy="cluster")
    cross = edges_between(document, "wl_west_sample_sleep", "wl_east_sample_helloworld-v1")
    assert float(cross["http"]["traffic"]["rates"]["http"]) > 0
    boxes = {
        n["data"]["cluster"]: n["data"]["id"]
        for n in document["elements"]["nodes"]
        if n["data"].get("isBox") == "cluster"
    }
    assert set(boxes) == {"east", "west"}
    assert node(document, "wl_west_sample_sleep")["parent"] == boxes["west"]
    assert node(document, "wl_east_sample_helloworld-v1")["parent"] == boxes["east"]


def test_the_node_graph_of_a_workload_shows_its_callers_and_callees(client, demo_console):
    document = graph(
        client, "/api/namespaces/ecommerce/workloads/product-catalog-v1/graph", graphType="workload"
    )
    pc = "wl_east_ecommerce_product-catalog-v1"
    assert edges_between(document, "wl_east_ecommerce_ecommerce-ui-v1", pc)
    assert edges_between(document, pc, "wl_east_ecommerce_product-inventory-v1")


def test_aggregate_node_graphs_answer_at_kialis_paths(client, demo_console):
    # The demo's proxies classify no requests: the operation's graph is empty, not an error.
    for path in (
        "/api/namespaces/ecommerce/aggregates/request_operation/GetCart/graph",
        "/api/namespaces/ecommerce/aggregates/request_operation/GetCart/product-catalog/graph",
    ):
        document = graph(client, path, graphType="workload")
        assert document["elements"] == {"nodes": [], "edges": []}
    bad = client.get("/api/namespaces/ecommerce/aggregates/request-operation/GetCart/graph")
    assert bad.status_code == 400 and "Invalid aggregate" in bad.json()["error"]
    page = client.get("/graph/node/namespaces/ecommerce/aggregates/request_operation/GetCart")
    assert page.status_code == 200 and "request_operation GetCart" in page.content.decode()


def test_a_namespace_without_traffic_gives_an_empty_graph(
    client, demo_console, east_cluster, fresh_namespace
):
    quiet = fresh_namespace(east_cluster, "quiet")
    cache.clear()  # namespace visibility is cached briefly per identity
    document = graph(client, namespaces=quiet)
    assert document["elements"] == {"nodes": [], "edges": []}


def test_prometheus_down_answers_503_with_the_reason(client, east_cluster, demo_mesh, console_on):
    console_on(
        east_cluster, config={"external_services": {"prometheus": {"url": "http://127.0.0.1:9"}}}
    )
    response = client.get("/api/namespaces/graph", {"namespaces": "ecommerce"})
    assert response.status_code == 503
    error = response.json()["error"]
    # The first refusal, or the outage it opened (mesh.outages), which names it.
    assert error.startswith("metrics unavailable: ")
    assert error.endswith("connection refused by Prometheus") or error.endswith(
        "(connection refused by Prometheus)"
    )
    assert response["Retry-After"]


@pytest.mark.parametrize("bad", ['eco"mmerce', "eco}", "{x}", "a|b"])
def test_a_namespace_with_quotes_or_braces_is_refused(client, demo_console, bad):
    response = client.get("/api/namespaces/graph", {"namespaces": bad})
    assert response.status_code == 400
    assert "Invalid namespace" in response.json()["error"]


def test_a_namespace_the_console_cannot_see_is_forbidden(client, demo_console):
    response = client.get("/api/namespaces/graph", {"namespaces": "no-such-namespace"})
    assert response.status_code == 403


def test_nodes_carry_the_cached_health_once_the_health_job_ran(client, demo_console):
    from mesh.health.tasks import refresh_all_health

    before = graph(client, namespaces="ecommerce", graphType="workload")
    assert node(before, "wl_east_ecommerce_order-management-v2").get("healthData") is None
    results = {r.cluster: r for r in refresh_all_health()}
    assert results["east"].error == ""
    # The same graph of "now" asked again within SHARED_FOR seconds is the one just built.
    time.sleep(SHARED_FOR)
    after = graph(client, namespaces="ecommerce", graphType="workload")
    health = node(after, "wl_east_ecommerce_order-management-v2")["healthData"]
    assert health["status"]["status"] in ("Failure", "Degraded")
    assert health["workloadStatus"]["availableReplicas"] >= 1
