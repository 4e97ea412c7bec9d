"""The Mesh page of the demo mesh in headless Chromium, with a screenshot to look at."""

from __future__ import annotations

import pytest

from tests.plugins.browser import log_in_with_token, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("clusters"),
]


def test_the_mesh_page_shows_both_clusters_in_a_browser(
    page, live_server, demo_mesh, east_cluster, west_cluster, prometheus_server, console_on
):
    from mesh.sim.demo import publish_remote_cluster

    publish_remote_cluster(east_cluster, west_cluster)  # not left to an earlier test
    console_on(
        east_cluster, config={"external_services": {"prometheus": {"url": prometheus_server.url}}}
    )
    page.goto(f"{live_server.url}/applications/?namespaces=")  # the inventory is read
    page.goto(f"{live_server.url}/mesh/")
    # ME-01: the topology, one box per cluster with its istiod and data plane
    page.wait_for_selector('#mesh-topology[data-state="drawn"]')
    nodes = page.evaluate(
        "() => window.meshTopology.nodes().map(n => ({kind: n.data('kind'),"
        " label: n.data('label'), health: n.data('health'),"
        " parent: n.parent().length ? n.parent().data('label') : ''}))"
    )
    boxes = {n["label"] for n in nodes if n["kind"] == "cluster"}
    assert boxes == {"cluster east", "cluster west"}
    istiods = [n for n in nodes if n["kind"] == "istiod"]
    assert {n["parent"] for n in istiods} == boxes and all(
        n["health"] == "Healthy" for n in istiods
    )
    assert any(n["kind"] == "dataplane" and n["parent"] == "cluster east" for n in nodes)
    prometheus = next(n for n in nodes if n["label"] == "Prometheus")
    assert prometheus["parent"] == "External deployments" and prometheus["health"] == "Healthy"
    # ME-04: with nothing selected, the mesh summary
    panel = page.locator("#mesh-topology-panel")
    assert panel.get_attribute("data-kind") == "mesh"
    summary = panel.inner_text()
    assert "mesh1" in summary  # the demo's meshId
    terms = dict(
        zip(
            panel.locator("dt").all_inner_texts(),
            panel.locator("dd").all_inner_texts(),
            strict=True,
        )
    )
    assert terms["Clusters"] == "2" and terms["Control planes"] == "2"
    assert int(terms["Gateways"]) >= 1  # east's istio-ingressgateway
    screenshot(page, "mesh-topology-summary")

    # ME-05: a control plane's panel, with its mesh configuration
    page.evaluate(
        "() => window.meshTopology.nodes().filter(n => n.data('kind') === 'istiod'"
        " && n.parent().data('label') === 'cluster west').emit('tap')"
    )
    assert "1.24.2" in panel.inner_text() and "istio-system/istiod" in panel.inner_text()
    text = panel.inner_text()
    assert "Outbound traffic" in text and "Mesh-wide mTLS" in text and "mesh1" in text
    panel.locator(".mesh-topology__yaml summary").click()
    assert "meshId: mesh1" in page.locator("#mesh-topology-yaml").inner_text()
    screenshot(page, "mesh-topology")

    # ME-07: the east data plane lists its namespaces with health, mTLS and config status
    page.evaluate(
        "() => window.meshTopology.nodes().filter(n => n.data('kind') === 'dataplane'"
        " && n.parent().data('label') === 'cluster east').emit('tap')"
    )
    rows = page.locator("#mesh-topology-table tbody tr")
    names = rows.evaluate_all("rs => rs.map(r => r.dataset.namespace)")
    assert "ecommerce" in names and "istio-system" not in names
    ecommerce = page.locator('#mesh-topology-table tr[data-namespace="ecommerce"]')
    assert ecommerce.locator("a").first.get_attribute("href").startswith("/namespaces/ecommerce/")
    screenshot(page, "mesh-topology-data-plane")
    ecommerce.locator("a").first.click()
    page.wait_for_url("**/namespaces/ecommerce/**")
    page.go_back()
    page.wait_for_selector('#mesh-topology[data-state="drawn"]')
    clusters = page.locator("#clusters tbody tr")
    assert clusters.count() == 2
    assert clusters.nth(0).get_attribute("data-cluster") == "east"
    assert clusters.nth(1).get_attribute("data-cluster") == "west"
    assert page.locator("#control-planes tbody tr").count() == 2
    assert (
        "reachable" in page.locator('#external-services tr[data-service="Prometheus"]').inner_text()
    )
    nav = page.locator("nav.pf-v5-c-nav .pf-v5-c-nav__link").all_inner_texts()
    # Kiali's order, each item present once its page exists
    order = [
        "Overview",
        "Traffic Graph",
        "Mesh",
        "Namespaces",
        "Applications",
        "Services",
        "Workloads",
        "Istio Config",
    ]
    assert "Mesh" in nav and nav == [item for item in order if item in nav]
    # PatternFly's stylesheet is served and applied (the masthead is dark, not default white).
    color = page.locator("header.pf-v5-c-masthead").evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert color not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    screenshot(page, "mesh-page")


def test_a_namespace_viewer_sees_the_mesh_without_what_they_cannot_read(
    page, live_server, demo_mesh, east_cluster, west_cluster, prometheus_server, console_on
):
    from mesh.sim.demo import publish_remote_cluster

    publish_remote_cluster(east_cluster, west_cluster)
    console_on(
        east_cluster,
        config={
            "auth": {"strategy": "token"},
            "external_services": {"prometheus": {"url": prometheus_server.url}},
        },
    )
    log_in_with_token(page, live_server.url, east_cluster.tokens["bob"], "/mesh/")
    page.wait_for_url("**/mesh/")
    west = page.locator('#clusters tr[data-cluster="west"]').inner_text()
    assert "no access" in west and "127.0.0.1" not in west
    planes = page.locator("#control-planes tbody").inner_text()
    assert "istiod" not in planes and "istio-system" not in planes
    prometheus = page.locator('#external-services tr[data-service="Prometheus"]').inner_text()
    assert prometheus_server.url.split("//")[1] not in prometheus
    assert "kiali-multi-cluster-secret" not in page.content()
    # the mesh configuration belongs to the control plane, and is cut with it
    assert "meshId" not in page.content() and "zipkin" not in page.content()
    screenshot(page, "mesh-page-namespace-viewer")
