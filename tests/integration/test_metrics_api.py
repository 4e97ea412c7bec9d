"""The metrics API on the demo telemetry, read from a real Prometheus."""

from __future__ import annotations

import math
import time

import pytest
from django.core.cache import cache

from tests.plugins.prometheus import wait_for_samples

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.xdist_group("clusters"),
    pytest.mark.urls("tests.integration.metrics_urls"),
]

DEAD_PROMETHEUS = "http://127.0.0.1:9"  # discard port: nothing listens
WINDOW = {"duration": "60", "step": "5", "rateInterval": "10s", "clusterName": "east"}


@pytest.fixture(autouse=True)
def empty_cache():
    """Visible namespaces and Prometheus settings are cached; each test starts afresh."""
    cache.clear()
    yield
    cache.clear()


def config_for(url, **extra):
    return {"external_services": {"prometheus": {"url": url}}, **extra}


@pytest.fixture
def demo_console(demo_mesh, east_cluster, prometheus_server, console_on):
    # Rates over a window reaching back before Prometheus' first scrape are underestimated;
    # wait until the window of these tests is covered by samples.
    wait_for_samples(prometheus_server.url, "count_over_time(up[20s]) >= 15")
    return console_on(east_cluster, config=config_for(prometheus_server.url))


def metrics(client, path, ready="", **params):
    """The answer, asked again for a while until `ready` has series: in a fresh session the
    demo namespaces are seconds old, and the first rate windows are still filling."""
    query = {**WINDOW, **params}
    deadline = time.monotonic() + 30
    while True:
        response = client.get(path, query)
        assert response.status_code == 200, response.content
        document = response.json()
        if not ready or document.get(ready) or time.monotonic() > deadline:
            return document
        time.sleep(1)


def latest(entry):
    values = [float(v) for _, v in entry["datapoints"] if not math.isnan(float(v))]
    assert values, entry
    return values[-1]


def total_of(entry):
    return sum(float(v) for _, v in entry["datapoints"] if not math.isnan(float(v)))


def by(entries, label):
    return {e["labels"][label]: latest(e) for e in entries}


def test_order_management_v2_fails_most_inbound_requests(client, demo_console):
    document = metrics(
        client,
        "/api/namespaces/ecommerce/workloads/order-management-v2/metrics",
        direction="inbound",
        reporter="destination",
        ready="request_error_count",
        **{"filters[]": ["request_count", "request_error_count"]},
    )
    assert set(document) == {"request_count", "request_error_count"}
    [total] = document["request_count"]
    [errors] = document["request_error_count"]
    assert total["name"] == "request_count" and total["labels"] == {}
    stamp, value = total["datapoints"][-1]
    assert isinstance(stamp, int) and isinstance(value, str)
    assert total_of(errors) / total_of(total) > 0.5


def test_product_catalog_service_traffic_splits_80_20(client, demo_console):
    document = metrics(
        client,
        "/api/namespaces/ecommerce/services/product-catalog/metrics",
        direction="inbound",
        reporter="destination",
        ready="request_count",
        **{"filters[]": ["request_count"], "byLabels[]": ["destination_workload"]},
    )
    rates = by(document["request_count"], "destination_workload")
    assert set(rates) == {"product-catalog-v1", "product-catalog-v2"}
    total = sum(rates.values())
    assert 6 < total < 10
    assert abs(rates["product-catalog-v1"] / total - 0.8) < 0.1


def test_product_catalog_app_sends_grpc_messages(client, demo_console):
    document = metrics(
        client,
        "/api/namespaces/ecommerce/apps/product-catalog/metrics",
        direction="outbound",
        ready="grpc_sent",
        **{
            "filters[]": ["grpc_sent", "grpc_received"],
            "byLabels[]": ["destination_canonical_service"],
        },
    )
    assert by(document["grpc_sent"], "destination_canonical_service")["product-inventory"] > 0
    assert document["grpc_received"]


def test_shipping_and_handling_has_tcp_metrics_from_order_management(client, demo_console):
    document = metrics(
        client,
        "/api/namespaces/ecommerce/workloads/shipping-and-handling-v1/metrics",
        direction="inbound",
        reporter="destination",
        ready="tcp_opened",
        **{"byLabels[]": ["source_canonical_service"]},
    )
    for name in ("tcp_opened", "tcp_closed", "tcp_sent", "tcp_received"):
        assert by(document[name], "source_canonical_service")["order-management"] > 0, name
    assert document["request_count"] == []  # a TCP-only workload has no HTTP traffic


def test_histograms_carry_their_statistic(client, demo_console):
    document = metrics(
        client,
        "/api/namespaces/ecommerce/workloads/order-management-v2/metrics",
        direction="inbound",
        reporter="destination",
        ready="request_duration_millis",
        **{"filters[]": ["request_duration_millis"], "quantiles[]": ["0.5", "0.99"]},
    )
    stats = [e["stat"] for e in document["request_duration_millis"]]
    assert stats == ["0.5", "0.99", "avg"]
    p50 = latest(document["request_duration_millis"][0])
    assert 300 < p50 < 3000  # order-management v2 is slow: median about 900 ms


def test_a_whole_request_is_thirteen_concurrent_queries(client, demo_console, capsys):
    started = time.perf_counter()
    document = metrics(client, "/api/namespaces/ecommerce/metrics", direction="inbound")
    elapsed = time.perf_counter() - started
    assert len(document) == 13
    with capsys.disabled():
        print(f"\nnamespace metrics, 13 queries: {elapsed * 1000:.0f} ms")


def test_prometheus_down_is_503_with_the_reason(client, demo_mesh, east_cluster, console_on):
    console_on(east_cluster, config=config_for(DEAD_PROMETHEUS))
    response = client.get("/api/namespaces/ecommerce/workloads/order-management-v2/metrics", WINDOW)
    assert response.status_code == 503
    error = response.json()["error"]
    assert error.startswith("metrics unavailable: ") and "connection refused" in error
    assert response["Retry-After"]


def test_bad_parameters_are_400_naming_the_parameter(client, demo_console):
    path = "/api/namespaces/ecommerce/workloads/order-management-v2/metrics"
    response = client.get(path, {"duration": "forever"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("duration: ")
    outbound = client.get("/api/namespaces/ecommerce/services/product-catalog/metrics")
    assert outbound.status_code == 400 and outbound.json()["error"].startswith("direction: ")


def test_a_namespace_the_console_may_not_show_is_403(
    client, demo_mesh, east_cluster, prometheus_server, console_on
):
    selectors = {"default": [{"matchLabels": {"kubernetes.io/metadata.name": "sample"}}]}
    console_on(
        east_cluster,
        config=config_for(prometheus_server.url, deployment={"discovery_selectors": selectors}),
    )
    response = client.get("/api/namespaces/ecommerce/metrics", {"clusterName": "east"})
    assert response.status_code == 403
    assert "error" in response.json()
    page = client.get("/metrics/east/ecommerce/workloads/order-management-v2/")
    assert page.status_code == 403


def test_the_metrics_page_carries_its_data_url_and_one_chart_per_metric(client, demo_console):
    response = client.get(
        "/metrics/east/ecommerce/workloads/order-management-v2/",
        {"duration": "300", "reporter": "both"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="metrics-chart"') == 12
    assert (
        'data-metrics-url="/api/namespaces/ecommerce/workloads/order-management-v2/metrics?' in html
    )
    assert "reporter=both" in html and "byLabels%5B%5D=reporter" in html
    partial = client.get(
        "/metrics/east/ecommerce/services/product-catalog/", headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert "tab-outbound" not in partial.content.decode()  # services have inbound metrics only
