"""App, workload and service detail pages on the demo mesh, with a real Prometheus."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import NoReverseMatch, include, path, reverse

from mesh.sim.demo import publish_remote_cluster
from tests.plugins.prometheus import DEAD_PROMETHEUS, ORDER_ERRORS, wait_for_samples

pytestmark = [pytest.mark.xdist_group("clusters"), pytest.mark.django_db]
pytest_plugins = ["tests.plugins.demo"]

ORDER_V2 = "/workloads/east/ecommerce/order-management-v2/"
CATALOG = "/applications/east/ecommerce/product-catalog/"

# The site's routes plus the metrics routes, for as long as the site does not include them
# itself (the metrics tab embeds a panel whose data URL is the metrics API).
urlpatterns = [
    path("", include("mesh.views.urls_metrics")),
    path("", include("kiali_site.urls")),
]


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def with_metrics_routes(settings):
    try:
        reverse("api-workload-metrics", kwargs={"namespace": "x", "workload": "y"})
    except NoReverseMatch:
        settings.ROOT_URLCONF = __name__


def config_for(url: str, **extra):
    return {"external_services": {"prometheus": {"url": url, "timeout": "3s"}}, **extra}


@pytest.fixture
def demo_console(demo_mesh, east_cluster, prometheus_server, console_on):
    wait_for_samples(prometheus_server.url, ORDER_ERRORS)
    return console_on(east_cluster, config=config_for(prometheus_server.url))


def html_of(response) -> str:
    assert response.status_code == 200, response.content[:2000]
    return response.content.decode()


def test_order_management_v2_is_failing_and_the_page_says_inbound_errors_did_it(
    client, demo_console
):
    html = html_of(client.get(ORDER_V2))
    health = re.search(r'id="health".*?data-health="([^"]+)"', html, re.S)
    assert health and health.group(1) in ("Failure", "Degraded")
    reasons = html.split('id="health-reasons"', 1)[1].split("</ul>", 1)[0]
    assert 'data-part="inbound"' in reasons
    assert "503" in reasons and "% of" in reasons
    assert 'data-pod="order-management-v2-' in html
    assert 'id="missing-sidecar"' not in html
    assert '<a href="/applications/east/ecommerce/order-management/">' in html
    assert 'id="tab-overview"' in html and 'hx-get="/workloads/east/ecommerce/' in html


def test_product_catalog_shows_both_versions_and_links_its_istio_config(client, demo_console):
    html = html_of(client.get(CATALOG))
    assert 'data-version="v1"' in html and 'data-version="v2"' in html
    config = html.split('id="istio-config"', 1)[1]
    for kind in ("VirtualService", "DestinationRule"):
        link = f'<a href="/istio/east/ecommerce/{kind}/product-catalog/">'
        assert link in config, kind
        status = re.search(
            rf'data-kind="{kind}" data-name="product-catalog" data-status="(\w+)"', config
        )
        assert status and status.group(1) in ("valid", "warning", "error")
    for version in ("v1", "v2"):
        assert f'<a href="/workloads/east/ecommerce/product-catalog-{version}/">' in html
    assert '<a href="/services/east/ecommerce/product-catalog/">' in html


def test_the_helloworld_service_in_west_is_shown_from_the_west_snapshot(
    client, demo_console, east_cluster, west_cluster
):
    publish_remote_cluster(east_cluster, west_cluster)
    html = html_of(client.get("/services/west/sample/helloworld/"))
    assert "cluster west" in html
    assert '<a href="/workloads/west/sample/helloworld-v2/">' in html
    assert 'data-port="5000"' in html
    assert "app=helloworld" in html.split('id="selector"', 1)[1].split("</dd>", 1)[0]
    assert 'id="tab-outbound"' not in html  # services have inbound metrics only


def test_the_traffic_tab_lists_ecommerce_ui_calling_product_catalog(client, demo_console):
    html = html_of(client.get(CATALOG, {"tab": "traffic"}))
    inbound = html.split('id="traffic-inbound"', 1)[1].split('id="traffic-outbound"', 1)[0]
    row = re.search(
        r'<tr data-peer="ecommerce-ui"[^>]*data-protocol="http"[^>]*>.*?</tr>', inbound, re.S
    )
    assert row, inbound
    rate = re.search(r'data-rate="([0-9.eE+-]+)"', row.group(0))
    assert rate and float(rate.group(1)) > 0
    assert '<a href="/applications/east/ecommerce/ecommerce-ui/">' in row.group(0)

    outbound = html_of(client.get("/workloads/east/ecommerce/ecommerce-ui-v1/", {"tab": "traffic"}))
    peers = outbound.split('id="traffic-outbound"', 1)[1]
    assert 'data-peer="product-catalog-v1"' in peers and 'data-peer="order-management-v2"' in peers
    errors = re.search(
        r'data-peer="order-management-v2".*?data-error-percent="([0-9.]+)"', peers, re.S
    )
    assert errors and float(errors.group(1)) > 10


def test_htmx_tab_requests_get_only_the_tab_body(client, demo_console):
    response = client.get(ORDER_V2, {"tab": "traffic"}, headers={"HX-Request": "true"})
    html = html_of(response)
    assert "<html" not in html
    assert 'data-tab="traffic"' in html and 'id="traffic-inbound"' in html
    assert 'aria-selected="true"' in html.split('id="tab-traffic"', 1)[1].split(">", 1)[0]


def test_the_metrics_tabs_embed_the_panel_for_the_object_and_direction(
    client, demo_console, with_metrics_routes
):
    html = html_of(client.get(ORDER_V2, {"tab": "inbound"}))
    panel = re.search(
        r'class="pf-v5-c-card metrics-panel" id="metrics-inbound" data-metrics-url="([^"]+)"', html
    )
    assert panel, html[-3000:]
    url = panel.group(1).replace("&amp;", "&")
    assert url.startswith("/api/namespaces/ecommerce/workloads/order-management-v2/metrics?")
    assert "direction=inbound" in url and "clusterName=east" in url
    outbound = html_of(client.get(CATALOG, {"tab": "outbound"}))
    assert 'id="metrics-outbound"' in outbound
    assert "/api/namespaces/ecommerce/apps/product-catalog/metrics?" in outbound


def test_unknown_objects_and_clusters_are_404(client, demo_console):
    assert client.get("/workloads/east/ecommerce/no-such-workload/").status_code == 404
    assert client.get("/services/east/ecommerce/no-such-service/").status_code == 404
    assert client.get("/applications/nowhere/ecommerce/product-catalog/").status_code == 404


def test_namespaces_the_request_may_not_see_are_403(
    client, demo_mesh, east_cluster, prometheus_server, console_on
):
    selectors = {"default": [{"matchLabels": {"kubernetes.io/metadata.name": "sample"}}]}
    console_on(
        east_cluster,
        config=config_for(prometheus_server.url, deployment={"discovery_selectors": selectors}),
    )
    assert client.get(ORDER_V2).status_code == 403
    assert client.get("/workloads/east/ecommerce/no-such-workload/").status_code == 403
    assert client.get("/services/east/kube-system/kube-dns/").status_code == 403
    assert client.get("/services/east/sample/helloworld/").status_code == 200


def test_without_prometheus_every_tab_renders_and_says_metrics_are_unavailable(
    client, demo_mesh, east_cluster, console_on, with_metrics_routes
):
    console_on(east_cluster, config=config_for(DEAD_PROMETHEUS))
    overview = html_of(client.get(ORDER_V2))
    assert 'id="health-unavailable"' in overview and "metrics unavailable" in overview
    assert 'data-pod="order-management-v2-' in overview
    for tab in ("traffic", "inbound", "outbound"):
        html = html_of(client.get(ORDER_V2, {"tab": tab}))
        assert "metrics unavailable" in html, tab
