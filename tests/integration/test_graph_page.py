"""The Traffic Graph page and its side panel on the demo mesh (real API servers, Prometheus)."""

from __future__ import annotations

import json
import re
import time

import pytest
from django.core.cache import cache

from mesh.graph.render import hash_id
from tests.plugins.prometheus import wait_for_samples

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("clusters")]

DEAD_PROMETHEUS = "http://127.0.0.1:9"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()  # namespace visibility is cached per identity
    yield
    cache.clear()


def prometheus_config(url: str) -> dict:  # type: ignore[type-arg]
    return {"external_services": {"prometheus": {"url": url, "timeout": "5s"}}}


def wait_for_demo_traffic(prometheus_url: str) -> None:
    """Until the 60 s window holds the slowest counters: order-management-v2's few
    requests, successes and 503s (a session's Prometheus may have only just started)."""
    for code in ("200", "503"):
        wait_for_samples(
            prometheus_url,
            'sum(rate(istio_requests_total{destination_workload="order-management-v2",'
            f'response_code="{code}"}}[60s])) > 0',
        )


def wait_for_graph_traffic(client) -> None:
    """Until the console's own graph holds order-management-v2's successes and 503s: its
    window is capped by the namespace's age, and these clusters may be seconds old."""
    target = hash_id("wl_east_ecommerce_order-management-v2")
    deadline = time.monotonic() + 90
    while True:
        response = client.get(
            "/api/namespaces/graph",
            {
                "namespaces": "ecommerce",
                "graphType": "workload",
                "duration": "60s",
                "appenders": "",
            },
        )
        rates = [
            e["data"]["traffic"].get("rates", {})
            for e in response.json()["elements"]["edges"]
            if e["data"]["target"] == target and e["data"]["traffic"]["protocol"] == "http"
        ]
        if any("http5xx" in r and float(r["http"]) > float(r["http5xx"]) for r in rates):
            return
        assert time.monotonic() < deadline, f"no traffic into order-management-v2: {rates}"
        time.sleep(2)


@pytest.fixture
def demo_console(demo_mesh, east_cluster, prometheus_server, console_on, client):
    wait_for_demo_traffic(prometheus_server.url)
    config = console_on(east_cluster, config=prometheus_config(prometheus_server.url))
    wait_for_graph_traffic(client)
    return config


def graph_config(response) -> dict:  # type: ignore[type-arg]
    found = re.search(
        r'<script id="graph-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert found, "the page hands its options over through json_script"
    return json.loads(found.group(1))


def selected(html: str, name: str) -> list[str]:
    if name == "namespaces":  # the namespace menu's checkboxes
        return re.findall(r'name="namespaces" value="([^"]*)" checked', html)
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return re.findall(r'<option value="([^"]*)" selected>', select.group(1))


def test_the_page_renders_its_controls_from_the_query_string(
    client, demo_mesh, east_cluster, console_on
):
    console_on(east_cluster, config=prometheus_config(DEAD_PROMETHEUS))
    response = client.get(
        "/graph/",
        {
            "namespaces": "ecommerce",
            "graphType": "workload",
            "duration": "300",
            "refresh": "10000",
            "edges": "trafficRate,responseTime",
            "idleNodes": "true",
            "badges": ["false"],
            "boxByNamespace": ["false"],
            "find": "rps > 10",
            "hide": "node = unknown",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert selected(html, "namespaces") == ["ecommerce"]
    assert selected(html, "graphType") == ["workload"]
    assert selected(html, "duration") == ["300"]
    assert selected(html, "refresh") == ["10000"]
    assert re.search(r'name="edges" value="trafficRate" checked', html)
    assert re.search(r'name="edges" value="responseTime" checked', html)
    assert not re.search(r'name="edges" value="throughput" checked', html)
    assert 'value="rps &gt; 10"' in html and 'value="node = unknown"' in html
    config = graph_config(response)
    params = config["apiParams"]
    assert params["namespaces"] == "ecommerce" and params["graphType"] == "workload"
    assert params["duration"] == "300s" and params["boxBy"] == "cluster"
    assert {"idleNode", "responseTime", "health", "istio"} <= set(params["appenders"].split(","))
    assert config["responseTimeUrl"] == ""  # response time is the label: asked for up front
    assert config["showBadges"] is False and config["refreshMs"] == 10000
    assert config["find"] == "rps > 10" and config["hide"] == "node = unknown"
    assert "|safe" not in html and "graph-legend" in html


def test_the_traffic_selector_starts_from_the_configured_defaults_and_reaches_the_api(
    client, demo_mesh, east_cluster, console_on
):
    config = prometheus_config(DEAD_PROMETHEUS)
    config["kiali_feature_flags"] = {
        "ui_defaults": {
            "graph": {
                "traffic": {"tcp": "total", "grpc": "none"},
                "find_options": [{"description": "Busy edges", "expression": "rps > 100"}],
            }
        }
    }
    console_on(east_cluster, config=config)
    response = client.get("/graph/", {"namespaces": "ecommerce"})
    html = response.content.decode()
    assert selected(html, "rateHttp") == ["requests"] and selected(html, "rateGrpc") == ["none"]
    assert selected(html, "rateTcp") == ["total"] and selected(html, "ambientTraffic") == ["total"]
    params = graph_config(response)["apiParams"]
    assert (params["rateHttp"], params["rateGrpc"], params["rateTcp"]) == (
        "requests",
        "none",
        "total",
    )
    # the configured find presets replace the built-in ones; hide keeps its defaults
    assert '<option value="rps &gt; 100">Busy edges</option>' in html
    assert '<option value="rank &gt; 2">Hide: nodes ranked below the top two</option>' in html

    chosen = client.get(
        "/graph/",
        {"namespaces": "ecommerce", "rateGrpc": "sent", "rateTcp": "none", "rateHttp": "bogus"},
    )
    params = graph_config(chosen)["apiParams"]
    assert (params["rateHttp"], params["rateGrpc"], params["rateTcp"]) == (
        "requests",
        "sent",
        "none",
    )


def test_layout_rank_and_the_context_menu_links_come_from_the_page(
    client, demo_mesh, east_cluster, console_on
):
    console_on(east_cluster, config=prometheus_config(DEAD_PROMETHEUS))
    response = client.get(
        "/graph/",
        {"namespaces": "ecommerce", "layout": "concentric", "rank": "true", "rankBy": "both"},
    )
    config = graph_config(response)
    assert (config["layout"], config["rank"], config["rankBy"]) == ("concentric", True, "both")
    assert config["detailUrls"]["workload"] == "/workloads/__CLUSTER__/__NAMESPACE__/__NAME__/"
    node_graph = config["nodeGraphUrls"]["appVersion"]
    assert node_graph.startswith("/graph/node/namespaces/__NAMESPACE__/applications/__NAME__/")
    assert "rankBy=both" in node_graph and node_graph.endswith("clusterName=__CLUSTER__")
    fallback = graph_config(client.get("/graph/", {"namespaces": "ecommerce", "layout": "x"}))
    assert fallback["layout"] == "dagre" and fallback["rank"] is False
    assert (fallback["animation"], fallback["animationStyle"]) == (False, "point")
    assert fallback["tracingUrl"] == ""  # no tracing configured: no such menu item

    config = prometheus_config(DEAD_PROMETHEUS)
    config["external_services"]["tracing"] = {
        "enabled": True,
        "external_url": "http://127.0.0.1:16686/jaeger",
    }
    console_on(east_cluster, config=config)
    traced = graph_config(client.get("/graph/", {"namespaces": "ecommerce"}))["tracingUrl"]
    assert traced.startswith("http://127.0.0.1:16686/jaeger/search?service=__NAME__")


def test_response_times_come_second_unless_they_are_the_label(
    client, demo_mesh, east_cluster, console_on
):
    console_on(east_cluster, config=prometheus_config(DEAD_PROMETHEUS))
    config = graph_config(client.get("/graph/", {"namespaces": "ecommerce"}))
    assert "responseTime" not in config["apiParams"]["appenders"]
    assert config["responseTimeUrl"] == "/api/namespaces/graph/response-times"
    assert config["apiParams"]["graphType"] == "versionedApp"
    assert config["apiParams"]["boxBy"] == "app,cluster,namespace"


def test_without_a_namespace_the_page_asks_for_one(client, demo_mesh, east_cluster, console_on):
    console_on(east_cluster, config=prometheus_config(DEAD_PROMETHEUS))
    response = client.get("/graph/")
    assert response.status_code == 200
    assert "No namespace is selected" in response.content.decode()
    assert 'id="graph-config"' not in response.content.decode()


def test_the_side_panel_is_a_partial_for_htmx_with_rates_from_the_server(client, demo_console):
    node = hash_id("vapp_east_ecommerce_order-management-v2")
    query = {
        "namespaces": "ecommerce",
        "duration": "60",
        "element": node,
        "kind": "node",
        "cluster": "east",
        "namespace": "ecommerce",
        # Numbers a browser might send are ignored: the panel reads only identifiers.
        "rate": "999",
    }
    response = client.get("/graph/panel", query, **HTMX)
    assert response.status_code == 200, response.content
    html = response.content.decode()
    assert "<html" not in html and 'id="graph-panel"' in html
    assert "order-management" in html and "v2" in html
    assert 'data-badge="hasCB"' in html
    inbound = re.search(r'data-direction="inbound".*?</table>', html, re.S)
    assert inbound and "HTTP" in inbound.group(0) and "999" not in html
    assert "/graph/node/namespaces/ecommerce/applications/order-management/versions/v2" in html
    assert '<a href="/applications/east/ecommerce/order-management/">Details</a>' in html
    charts = re.search(r'id="graph-panel-charts" data-metrics-url="([^"]+)"', html)
    assert charts and charts.group(1).startswith(
        "/api/namespaces/ecommerce/apps/order-management/metrics?direction=inbound"
    )

    full = client.get("/graph/panel", query)
    assert full.status_code == 200 and "<html" in full.content.decode()


def test_an_edge_panel_shows_rate_errors_and_responses(client, demo_console):
    source = hash_id("wl_east_ecommerce_ecommerce-ui-v1")
    target = hash_id("wl_east_ecommerce_order-management-v2")
    edge = hash_id(f"{source}.{target}.http")
    response = client.get(
        "/graph/panel",
        {
            "namespaces": "ecommerce",
            "graphType": "workload",
            "injectServiceNodes": "false",
            "duration": "60",
            "element": edge,
            "kind": "edge",
            "cluster": "east",
            "namespace": "ecommerce",
        },
        **HTMX,
    )
    assert response.status_code == 200, response.content
    html = response.content.decode()
    assert "ecommerce-ui-v1 → order-management-v2" in html
    assert "503" in html and 'data-health="Failure"' in html
    # GP-05: the destination's inbound metrics by source, of which the charts keep this one
    charts = re.search(r'id="graph-panel-edge-charts" data-metrics-url="([^"]+)"', html)
    assert charts
    url = charts.group(1).replace("&amp;", "&")
    assert url.startswith("/api/namespaces/ecommerce/workloads/order-management-v2/metrics?")
    assert "byLabels[]=source_workload" in url.replace("%5B%5D", "[]")
    assert 'data-label-filter="source_workload=ecommerce-ui-v1"' in html
    answer = client.get(url).json()
    assert any(
        e["labels"].get("source_workload") == "ecommerce-ui-v1"
        for e in answer["request_duration_millis"]
    )


def test_the_panel_reads_the_graph_on_screen_without_asking_prometheus_again(
    client, demo_mesh, east_cluster, prometheus_server, console_on
):
    wait_for_demo_traffic(prometheus_server.url)
    console_on(east_cluster, config=prometheus_config(prometheus_server.url))
    wait_for_graph_traffic(client)
    page = {"namespaces": "ecommerce", "duration": "60"}
    config = graph_config(client.get("/graph/", page))
    graph = client.get(config["apiUrl"], config["apiParams"])
    assert graph.status_code == 200
    query_time = graph.json()["timestamp"]
    times = client.get(
        config["responseTimeUrl"], {**config["responseTimeParams"], "queryTime": query_time}
    )
    assert times.status_code == 200 and times.json()["edges"]

    console_on(east_cluster, config=prometheus_config(DEAD_PROMETHEUS))  # Prometheus gone
    panel = {
        **page,
        "element": hash_id("vapp_east_ecommerce_order-management-v2"),
        "kind": "node",
        "cluster": "east",
        "namespace": "ecommerce",
    }
    kept = client.get("/graph/panel", {**panel, "queryTime": query_time}, **HTMX)
    assert kept.status_code == 200, kept.content
    html = kept.content.decode()
    assert "order-management" in html and 'data-badge="hasCB"' in html
    assert re.search(r'data-direction="inbound".*?HTTP', html, re.S)
    # another moment's graph is not kept: it needs Prometheus
    rebuilt = client.get("/graph/panel", {**panel, "queryTime": query_time - 2}, **HTMX)
    assert rebuilt.status_code == 503 and "metrics unavailable: " in rebuilt.content.decode()


def test_a_namespace_the_user_may_not_see_is_not_offered_and_its_panel_is_403(
    client, demo_mesh, east_cluster, prometheus_server, console_on
):
    config = {"auth": {"strategy": "token"}, **prometheus_config(prometheus_server.url)}
    console_on(east_cluster, config=config)
    assert client.post("/login/", {"token": east_cluster.tokens["bob"]}).status_code == 302
    html = client.get("/graph/", {"namespaces": "ecommerce,sample"}).content.decode()
    assert 'value="ecommerce"' in html and 'value="sample"' not in html
    assert selected(html, "namespaces") == ["ecommerce"]
    response = client.get(
        "/graph/panel",
        {
            "namespaces": "sample",
            "element": hash_id("wl_east_sample_sleep"),
            "kind": "node",
            "cluster": "east",
            "namespace": "sample",
        },
        **HTMX,
    )
    assert response.status_code == 403


def test_the_panel_says_metrics_unavailable_when_prometheus_is_down(
    client, demo_mesh, east_cluster, console_on
):
    console_on(east_cluster, config=prometheus_config(DEAD_PROMETHEUS))
    response = client.get(
        "/graph/panel",
        {"namespaces": "ecommerce", "element": "x", "cluster": "east", "namespace": "ecommerce"},
        **HTMX,
    )
    assert response.status_code == 503
    assert "metrics unavailable: " in response.content.decode()


def test_a_node_graph_page_points_the_canvas_at_the_node_api(
    client, demo_mesh, east_cluster, console_on
):
    console_on(east_cluster, config=prometheus_config(DEAD_PROMETHEUS))
    response = client.get("/graph/node/namespaces/ecommerce/workloads/product-catalog-v1")
    assert response.status_code == 200
    config = graph_config(response)
    assert config["apiUrl"] == "/api/namespaces/ecommerce/workloads/product-catalog-v1/graph"
    assert config["focus"] == "workload/ecommerce/product-catalog-v1"
    assert "Back to the full graph of ecommerce" in response.content.decode()


def test_a_cluster_box_panel_lists_the_consoles_serving_its_cluster(
    client, demo_mesh, east_cluster, west_cluster, prometheus_server, console_on
):
    """GP-07: with sample in both clusters, west's box names the console an administrator
    linked for west, and is not called an unselected namespace."""
    from mesh.models import ClusterLink
    from mesh.sim.demo import publish_remote_cluster

    publish_remote_cluster(east_cluster, west_cluster)
    wait_for_samples(
        prometheus_server.url, 'sum(rate(istio_requests_total{source_cluster="west"}[60s])) > 0'
    )
    ClusterLink.objects.create(
        cluster_name="west",
        instance_name="kiali",
        namespace="istio-system",
        url="https://west.example/kiali",
    )
    console_on(east_cluster, config=prometheus_config(prometheus_server.url))
    query = {
        "namespaces": "sample",
        "duration": "60",
        "element": hash_id("box_west"),
        "kind": "node",
        "cluster": "west",
        "namespace": "sample",
    }
    html = client.get("/graph/panel", query, **HTMX).content.decode()
    assert "cluster box" in html
    consoles = html.split('id="graph-panel-consoles"', 1)[1].split("</ul>", 1)[0]
    assert 'href="https://west.example/kiali"' in consoles and "istio-system / kiali" in consoles
    assert 'data-badge="isOutside"' not in html
    query.update(element=hash_id("box_east"), cluster="east")
    east = client.get("/graph/panel", query, **HTMX).content.decode()
    assert "No other console is known for this cluster." in east
