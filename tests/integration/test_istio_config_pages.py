"""Istio Config pages on the demo mesh: live validation finds the demo's deliberate faults."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.core.cache import cache

from mesh.clusters.access import KubeconfigError
from mesh.sim.loader import demo_paths, read_manifests
from tests.plugins.browser import screenshot
from validations.offline import engine_kind
from validations.results import CACHE_KEY, FAILED_KEY, cached, refresh

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("clusters")]

FAULTS = [
    ("VirtualService", "reviews-broken", "KIA1107", "spec/http[0]/route[0]/destination"),
    ("DestinationRule", "ghost-dr", "KIA0202", "spec/host"),
    ("Gateway", "dup-gateway-a", "KIA0301", "spec/servers[0]/hosts[0]"),
    ("Gateway", "dup-gateway-b", "KIA0301", "spec/servers[0]/hosts[0]"),
    ("DestinationRule", "bookinfo-no-mtls", "KIA0207", "spec/trafficPolicy/tls/mode"),
]


@pytest.fixture
def demo_console(demo_mesh, east_cluster, console_on):
    config = console_on(east_cluster, config={"kubernetes_config": {"cluster_name": "east"}})
    cache.delete(CACHE_KEY.format(cluster="east"))
    return config


def demo_istio_objects(cluster: str) -> set[tuple[str, str, str]]:
    """(kind, namespace, name) of every Istio and Gateway API object in the demo's files."""
    return {
        (kind, m.namespace or "default", m.name)
        for m in read_manifests(demo_paths(cluster))
        if (kind := engine_kind(m.body)) is not None
    }


def listed_rows(html: str) -> dict[tuple[str, str, str], str]:
    """(kind, namespace, name) -> validation status of each row of the Istio Config list."""
    rows = re.findall(
        r'<tr data-kind="(\w+)" data-name="([\w.-]+)" data-status="(\w+)"[^>]*>.*?'
        r'<td data-label="Namespace"[^>]*>([\w.-]+)</td>',
        html,
        re.S,
    )
    return {(kind, namespace, name): status for kind, name, status, namespace in rows}


def row_status(html: str, kind: str, name: str) -> str | None:
    match = re.search(
        rf'data-kind="{kind}" data-name="{re.escape(name)}" data-status="(\w+)"', html
    )
    return match.group(1) if match else None


def test_the_list_flags_each_deliberate_fault_and_passes_clean_objects(client, demo_console):
    response = client.get("/istio/?namespaces=bookinfo")
    assert response.status_code == 200
    html = response.content.decode()
    for kind, name, *_ in FAULTS:
        assert row_status(html, kind, name) in ("error", "warning"), (kind, name)
    assert row_status(html, "VirtualService", "bookinfo") == "valid"
    assert row_status(html, "Gateway", "bookinfo-gateway") == "valid"
    assert cached("east") is not None  # computed on demand and kept for the next request


def test_on_kialis_viewer_role_every_demo_object_is_listed_and_validated(client, demo_console):
    """The console's account has exactly Kiali's viewer ClusterRole (mesh/sim/apiserver.py):
    that must be enough to read and validate everything the demo mesh holds."""
    expected = demo_istio_objects("east")
    namespaces = sorted({namespace for _, namespace, _ in expected})
    html = client.get(f"/istio/?namespaces={','.join(namespaces)}").content.decode()
    rows = listed_rows(html)
    assert set(rows) == expected
    assert set(rows.values()) <= {"valid", "warning", "error"}
    assert f"{len(expected)} objects:" in html
    assert cached("east").problems == []  # nothing the role refused


def test_the_detail_page_highlights_each_findings_path(client, demo_console):
    for kind, name, code, path in FAULTS:
        html = client.get(f"/istio/east/bookinfo/{kind}/{name}/").content.decode()
        assert f'data-code="{code}" data-path="{path}"' in html, (kind, name, code)


def test_the_detail_page_links_what_an_object_refers_to(client, demo_console):
    html = client.get("/istio/east/bookinfo/VirtualService/reviews-broken/").content.decode()
    refs = html.split('id="references"', 1)[1]
    assert 'Service <a href="' not in refs or "bookinfo/reviews" in refs
    assert 'DestinationRule <a href="/istio/east/bookinfo/DestinationRule/reviews/">' in refs
    back = client.get("/istio/east/bookinfo/DestinationRule/reviews/").content.decode()
    assert '<a href="/istio/east/bookinfo/VirtualService/reviews-broken/">' in back


def test_filters_and_sorting_live_in_the_query_string(client, demo_console):
    html = client.get(
        "/istio/?namespaces=bookinfo&kind=Gateway&validation=warning"
    ).content.decode()
    kinds = set(re.findall(r'data-kind="(\w+)"', html))
    assert kinds == {"Gateway"}
    assert set(re.findall(r'data-status="(\w+)"', html)) == {"warning"}
    names = re.findall(
        r'data-name="([\w-]+)"',
        client.get("/istio/?namespaces=bookinfo&sort=name&dir=desc").content.decode(),
    )
    assert names == sorted(names, reverse=True)


def test_htmx_gets_the_partial_and_unknown_objects_are_404(client, demo_console):
    partial = client.get("/istio/?namespaces=bookinfo", headers={"HX-Request": "true"})
    assert b"<html" not in partial.content and b'id="istio-config"' in partial.content
    assert client.get("/istio/east/bookinfo/VirtualService/no-such-vs/").status_code == 404
    assert client.get("/istio/east/bookinfo/Pod/whatever/").status_code == 404


def test_a_namespace_the_console_hides_is_403_on_detail_urls(client, demo_console):
    response = client.get("/istio/east/kube-system/VirtualService/anything/")
    assert response.status_code == 403
    assert b"Namespace kube-system in cluster east is not accessible." in response.content


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_detail_page_in_a_browser_shows_the_highlighted_path(page, live_server, demo_console):
    page.goto(f"{live_server.url}/istio/east/bookinfo/VirtualService/reviews-broken/")
    finding = page.locator('.console-yaml-messages [data-code="KIA1107"]')
    assert finding.count() == 1
    highlighted = page.locator("tr.console-yaml-warning, tr.console-yaml-error")
    assert "subset: v9" in highlighted.all_inner_texts()[-1] or any(
        "subset: v9" in t for t in highlighted.all_inner_texts()
    )
    screenshot(page, "istio-config-detail")
    page.goto(f"{live_server.url}/istio/?namespaces=bookinfo")
    assert page.locator("#istio-config tbody tr").count() >= 8
    screenshot(page, "istio-config-list")


def test_overview_and_namespaces_show_validation_counts(client, demo_console):
    client.get("/istio/?namespaces=bookinfo")  # validates east into the cache
    overview = client.get("/overview/").content.decode()
    card = overview.split('id="card-istio-config"', 1)[1].split('id="card-applications"', 1)[0]
    errors = int(re.search(r'data-config="error" data-count="(\d+)"', card).group(1))
    warnings = int(re.search(r'data-config="warning" data-count="(\d+)"', card).group(1))
    assert errors >= 1 and warnings >= 5
    # explicitly every namespace: the list chosen above would otherwise follow to this page
    namespaces = client.get("/namespaces/", {"namespaces": ""}).content.decode()
    bookinfo = namespaces.split('data-name="bookinfo"', 1)[1].split("</tr>", 1)[0]
    assert 'data-config="error"' in bookinfo
    assert "/istio/?namespaces=bookinfo&amp;clusterName=east" in bookinfo
    ecommerce = namespaces.split('data-name="ecommerce"', 1)[1].split("</tr>", 1)[0]
    assert 'data-config="valid"' in ecommerce


def test_a_failed_validation_is_explained_on_the_namespaces_page_not_awaited(client, demo_console):
    def service_client():
        raise KubeconfigError("the console's kubeconfig cannot be read")

    broken = SimpleNamespace(access={"east": SimpleNamespace(service_client=service_client)})
    with pytest.raises(KubeconfigError):
        refresh(broken, demo_console, "east")

    page = client.get("/namespaces/").content.decode()
    bookinfo = page.split('data-name="bookinfo"', 1)[1].split("</tr>", 1)[0]
    assert 'data-config="unknown"' in bookinfo and "not validated" in bookinfo
    assert (
        "Istio config of cluster east could not be validated: "
        "the console&#x27;s kubeconfig cannot be read" in page
    )
    assert "validating…" not in page

    cache.delete(FAILED_KEY.format(cluster="east"))  # the note expires: validation is retried
    client.get("/namespaces/")
    page = client.get("/namespaces/").content.decode()
    bookinfo = page.split('data-name="bookinfo"', 1)[1].split("</tr>", 1)[0]
    assert 'data-config="error"' in bookinfo
    assert "validating…" not in page and "could not be validated" not in page
