"""Inventory pages, API and the health job against the local clusters and a real Prometheus."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from mesh.health.store import get_entries
from mesh.health.tasks import refresh_all_health
from mesh.inventory.store import cached_snapshot
from tests.plugins.prometheus import DEAD_PROMETHEUS, ORDER_ERRORS, wait_for_samples

pytestmark = [pytest.mark.xdist_group("clusters"), pytest.mark.django_db]
pytest_plugins = ["tests.plugins.demo"]


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def prometheus_with_errors(prometheus_server):
    """Prometheus once it has scraped order-management v2's 503s (rates need two scrapes)."""
    wait_for_samples(prometheus_server.url, ORDER_ERRORS)
    return prometheus_server


def config_for(url: str, **extra):
    return {"external_services": {"prometheus": {"url": url, "timeout": "3s"}}, **extra}


def rows(response) -> dict[str, str]:
    """name -> health of the list's rows, read from their data attributes."""
    import re

    html = response.content.decode()
    return {
        m.group(1): m.group(2)
        for m in re.finditer(r'<tr data-name="([^"]+)"[^>]*data-health="([^"]*)"', html)
    }


def test_the_health_job_fills_the_cache_and_pages_then_never_ask_prometheus(
    client, demo_mesh, east_cluster, prometheus_with_errors, console_on
):
    console_on(east_cluster, config=config_for(prometheus_with_errors.url))
    results = {r.cluster: r for r in refresh_all_health()}
    assert results["east"].error == "" and results["east"].namespaces >= 4
    entries = get_entries("east", ["ecommerce", "bookinfo"])
    ecommerce = entries["ecommerce"]
    assert ecommerce.duration == "5m"
    assert ecommerce.app_health["order-management"].status.status in ("Failure", "Degraded")
    print({k: v.status.status for k, v in ecommerce.app_health.items()})
    assert ecommerce.app_health["profile-management"].status.status == "Healthy"
    assert cached_snapshot("east") is not None

    # Prometheus is gone now: the page must be served from the cache alone.
    console_on(east_cluster, config=config_for(DEAD_PROMETHEUS))
    response = client.get("/applications/", {"namespaces": "ecommerce"})
    assert response.status_code == 200
    found = rows(response)
    assert found["order-management"] in ("Failure", "Degraded")
    assert found["profile-management"] == "Healthy"
    assert "version=v1,v2" in response.content.decode()
    assert "Health unavailable" not in response.content.decode()


def test_without_prometheus_pages_list_the_inventory_and_say_health_is_unavailable(
    client, demo_mesh, east_cluster, console_on
):
    console_on(east_cluster, config=config_for(DEAD_PROMETHEUS))
    for url in ("/applications/", "/workloads/", "/services/", "/namespaces/", "/overview/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "metrics unavailable" in response.content.decode(), url
    response = client.get("/workloads/", {"namespaces": "bookinfo"})
    assert "reviews-v2" in rows(response)
    assert 'data-health="unavailable"' in response.content.decode()


def test_lists_return_only_the_partial_for_htmx_and_keep_filters(
    client, demo_mesh, east_cluster, prometheus_server, console_on
):
    console_on(east_cluster, config=config_for(prometheus_server.url))
    response = client.get(
        "/workloads/", {"name": "product", "sort": "name", "order": "desc"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="inventory-list"' in html
    names = list(rows(response))
    assert names == [
        "productpage-v1",
        "product-inventory-v1",
        "product-catalog-v2",
        "product-catalog-v1",
    ]
    full = client.get("/services/", {"label": "app=productpage"})
    assert list(rows(full)) == ["productpage"] and "<html" in full.content.decode()


def test_lists_hide_namespaces_the_console_may_not_show(
    client, demo_mesh, east_cluster, prometheus_server, console_on
):
    selectors = {"default": [{"matchLabels": {"kubernetes.io/metadata.name": "sample"}}]}
    console_on(
        east_cluster,
        config=config_for(prometheus_server.url, deployment={"discovery_selectors": selectors}),
    )
    apps = rows(client.get("/applications/"))
    assert "helloworld" in apps and "productpage" not in apps
    assert client.get("/namespaces/bookinfo/", {"clusterName": "east"}).status_code == 403
    api = client.get("/api/clusters/apps", {"health": "true"}).json()
    assert {a["namespace"] for a in api["applications"]} == {"sample"}
    assert client.get("/api/namespaces/bookinfo/workloads/reviews-v1").status_code == 403


def test_an_outsider_sees_no_inventory_and_no_error_page(
    client, demo_mesh, east_cluster, console_on
):
    console_on(east_cluster, persona="eve", config=config_for(DEAD_PROMETHEUS))
    for url in ("/applications/", "/namespaces/", "/overview/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert rows(response) == {}, url


def test_the_api_speaks_kiali_field_names(
    client, demo_mesh, east_cluster, prometheus_server, console_on
):
    console_on(east_cluster, config=config_for(prometheus_server.url))
    namespaces = {n["name"]: n for n in client.get("/api/namespaces").json()}
    assert namespaces["istio-system"]["isControlPlane"] is True
    assert namespaces["ecommerce"]["labels"]["istio-injection"] == "enabled"

    # nothing cached yet: the health API answers from the cache only
    health = client.get("/api/clusters/health", {"namespaces": "ecommerce", "clusterName": "east"})
    assert health.json()["namespaceHealth"]["ecommerce"]["worstStatus"] == "NA"
    assert "X-Kiali-Health-Cached" not in health

    workloads = client.get(
        "/api/clusters/workloads",
        {"namespaces": "ecommerce", "clusterName": "east", "health": "true"},
    ).json()
    by_name = {w["name"]: w for w in workloads["workloads"]}
    catalog = by_name["product-catalog-v2"]
    assert catalog["gvk"] == {"Group": "apps", "Version": "v1", "Kind": "Deployment"}
    assert catalog["istioSidecar"] is True and catalog["appLabel"] and catalog["versionLabel"]
    assert catalog["health"]["workloadStatus"]["desiredReplicas"] >= 1
    kinds = {r["objectGVK"]["Kind"] for r in catalog["istioReferences"]}
    assert {"VirtualService", "DestinationRule"} <= kinds

    health = client.get("/api/clusters/health", {"namespaces": "ecommerce", "clusterName": "east"})
    assert health["X-Kiali-Health-Cached"] == "true"  # the list call computed and stored it
    body = health.json()
    assert set(body) == {
        "namespaceHealth",
        "namespaceAppHealth",
        "namespaceServiceHealth",
        "namespaceWorkloadHealth",
    }
    assert "order-management" in body["namespaceAppHealth"]["ecommerce"]

    detail = client.get(
        "/api/namespaces/ecommerce/workloads/order-management-v2", {"clusterName": "east"}
    )
    assert detail.status_code == 200
    assert detail.json()["pods"] and detail.json()["services"][0]["name"] == "order-management"
    apps = client.get("/api/clusters/apps", {"namespaces": "ecommerce"}).json()["applications"]
    catalog_app = next(a for a in apps if a["name"] == "product-catalog")
    assert catalog_app["labels"] == {"app": "product-catalog", "version": "v1,v2"}
    services = client.get("/api/clusters/services", {"namespaces": "ecommerce"}).json()["services"]
    assert any(s["name"] == "ecommerce-ui" and s["ports"] for s in services)


def test_namespaces_show_their_mtls_and_filter_and_sort_by_it(
    client, demo_mesh, east_cluster, console_on
):
    console_on(east_cluster, config=config_for(DEAD_PROMETHEUS))
    html = client.get("/namespaces/", {"namespaces": ""}).content.decode()

    def mtls(name: str) -> str:
        row = html.split(f'<tr data-name="{name}"', 1)[1].split("</tr>", 1)[0]
        return row.split('data-mtls="', 1)[1].split('"', 1)[0]

    assert mtls("ecommerce") == "strict"  # its own STRICT PeerAuthentication
    assert mtls("bookinfo") == "partial"  # STRICT, but bookinfo-no-mtls turns TLS off
    assert mtls("sample") == "permissive"  # nothing set: Istio's default
    assert "bookinfo-no-mtls disables TLS" in html
    strict = client.get("/namespaces/", {"namespaces": "", "mtls": "strict"})
    assert set(rows(strict)) == {"ecommerce"}
    ordered = client.get("/namespaces/", {"namespaces": "", "sort": "mtls"}).content.decode()
    names = re.findall(r'<tr data-name="([^"]+)"', ordered)
    assert names.index("ecommerce") < names.index("bookinfo") < names.index("sample")
