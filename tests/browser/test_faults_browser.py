"""The graph and Namespaces pages in Chromium while Prometheus, then west's API server, hang.

Screenshots: graph-prometheus-frozen, namespaces-prometheus-frozen, namespaces-west-frozen,
graph-west-frozen, app-west-frozen (test-output/screenshots).
"""

from __future__ import annotations

import pytest

from mesh.api.graph import SAME_GRAPHS
from mesh.sim.demo import publish_remote_cluster
from mesh.sim.faults import api_server_answers, frozen_api_server, frozen_prometheus
from tests.plugins.browser import screenshot
from tests.plugins.console import wait_for
from tests.plugins.prometheus import wait_for_samples

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("clusters"),
]

DRAWN = '#graph-canvas[data-state="drawn"]'
STALE = '#graph-canvas[data-state="stale"]'


def test_while_prometheus_hangs_the_graph_shows_its_last_drawing_and_lists_still_answer(
    page, live_server, demo_mesh, east_cluster, freezable_prometheus, console_on
):
    # The page draws ecommerce's workloads over 60 s: wait for that traffic itself (any rate
    # at all can come first, and the graph would then be empty).
    wait_for_samples(
        freezable_prometheus.url,
        'sum(rate(istio_requests_total{destination_service_namespace="ecommerce"}[60s])) > 0',
    )
    console_on(
        east_cluster,
        config={
            "external_services": {"prometheus": {"url": freezable_prometheus.url}},
            "kiali_internal": {"deadlines": {"graph": "3s"}},
        },
    )
    graph_url = f"{live_server.url}/graph/?namespaces=ecommerce&duration=60&graphType=workload"
    # The graph's own answer decides, not a query standing in for it: ask the API until the
    # 60 s workload graph has ecommerce's nodes (a fresh Prometheus needs two scrapes of
    # them), then draw the page from a clean slate.
    api = f"{live_server.url}/api/namespaces/graph?namespaces=ecommerce&duration=60s&graphType=workload"
    wait_for(
        lambda: page.request.get(api).json().get("elements", {}).get("nodes"),
        "ecommerce's 60 s workload graph to have nodes",
        within=60,
    )
    SAME_GRAPHS.clear()
    page.goto(graph_url)
    page.wait_for_selector('#graph-canvas[data-state]:not([data-state="loading"])')
    state = page.locator("#graph-canvas").get_attribute("data-state")
    assert state == "drawn", f"{state}: {page.locator('#graph-message').inner_text()}"
    drawn = page.evaluate("() => window.meshGraph.cy.nodes().length")
    SAME_GRAPHS.clear()  # else the graph just built answers the reload

    with frozen_prometheus(freezable_prometheus):
        # A reload loses the page's memory; the tab's session keeps the last graph.
        page.reload()
        page.wait_for_selector(STALE, timeout=10_000)
        # Reloaded again: the outage is known, the page says so at once.
        page.reload()
        page.wait_for_selector(STALE, timeout=3_000)
        stale = page.locator("#graph-stale").inner_text()
        assert "could not be refreshed" in stale and "Prometheus: not answering since" in stale
        assert "Shown: the graph drawn at" in stale
        assert page.evaluate("() => window.meshGraph.cy.nodes().length") == drawn
        banner = page.locator('#outages [data-dependency="Prometheus"]').inner_text()
        assert "Prometheus: not answering since" in banner
        screenshot(page, "graph-prometheus-frozen")

        page.goto(f"{live_server.url}/namespaces/")
        assert page.locator('#inventory-list tr[data-name="ecommerce"]').count() == 1
        assert page.locator('#outages [data-dependency="Prometheus"]').count() == 1
        screenshot(page, "namespaces-prometheus-frozen")

    def drawn_again() -> bool:
        page.goto(graph_url)
        page.wait_for_selector(f"{DRAWN}, {STALE}")
        return page.locator(DRAWN).count() == 1

    wait_for(drawn_again, "the graph after Prometheus resumed")
    assert page.locator('#outages [data-dependency="Prometheus"]').count() == 0


def test_while_west_hangs_it_stays_listed_as_unreachable(
    page, live_server, demo_mesh, east_cluster, west_cluster, prometheus_server, console_on
):
    publish_remote_cluster(east_cluster, west_cluster)
    console_on(
        east_cluster,
        config={
            "external_services": {"prometheus": {"url": prometheus_server.url}},
            "kiali_internal": {"deadlines": {"kubernetes": "3s"}},
        },
    )
    page.goto(f"{live_server.url}/namespaces/")
    assert page.locator('#inventory-list tr[data-cluster="west"]').count() >= 1

    with frozen_api_server(west_cluster):

        def banner_shown() -> bool:
            page.goto(f"{live_server.url}/namespaces/")
            assert page.locator('#inventory-list tr[data-cluster="west"]').count() >= 1
            return page.locator('#outages [data-dependency="cluster west"]').count() == 1

        wait_for(banner_shown, "west's banner on Namespaces", within=45)
        row = page.locator('#inventory-list tr[data-name="sample"][data-cluster="west"]')
        assert row.locator(".console-unreachable").count() == 1
        screenshot(page, "namespaces-west-frozen")

        page.goto(f"{live_server.url}/graph/?namespaces=sample&duration=60&boxByCluster=true")
        page.wait_for_selector(DRAWN)
        assert page.locator('#outages [data-dependency="cluster west"]').count() == 1
        assert "west (unreachable)" in page.locator("#scope-cluster").inner_text()
        screenshot(page, "graph-west-frozen")

        page.goto(f"{live_server.url}/applications/west/sample/helloworld/")
        assert "Cluster west is unreachable since" in page.locator("#unavailable").inner_text()
        screenshot(page, "app-west-frozen")

    wait_for(lambda: api_server_answers(west_cluster), "west's API server after SIGCONT")
