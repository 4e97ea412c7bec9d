"""Every count on the Overview and Namespaces pages links to a list showing exactly that
many rows, on the demo mesh (two clusters, Prometheus, health and validations computed,
and a cluster an administrator added by name)."""

from __future__ import annotations

import html
import re

import pytest
from django.core.cache import cache

from mesh.models import Cluster
from tests.plugins.demo import serve_demo_with_health

pytestmark = [pytest.mark.xdist_group("clusters"), pytest.mark.django_db]
pytest_plugins = ["tests.plugins.demo"]

COUNT_LINK = re.compile(r'<a class="console-count[^"]*" href="([^"]+)" data-count="(\d+)"')


@pytest.fixture
def demo_console(client, demo_mesh, east_cluster, west_cluster, prometheus_server, console_on):
    Cluster.objects.create(name="far-away", note="managed by another team")
    serve_demo_with_health(east_cluster, west_cluster, prometheus_server, console_on)
    for cluster in ("east", "west"):  # validations are computed for the lists' first visit
        client.get("/istio/", {"namespaces": "", "clusterName": cluster})
    client.get("/istio/", {"namespaces": "", "clusterName": ""})  # then every cluster again
    yield client
    cache.clear()


def rows_in(page: str, table_id: str) -> int:
    """The data rows of the table (or of the first table in the section) with that id."""
    section = page.split(f'id="{table_id}"', 1)[1]
    body = section.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    return len(re.findall(r"<tr [^>]*data-(?:name|cluster|kind)=", body))


def counts_on(client, url: str) -> list[tuple[int, str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    found = [
        (int(n), html.unescape(href)) for href, n in COUNT_LINK.findall(response.content.decode())
    ]
    assert found, f"no counts on {url}"
    return found


def assert_each_count_is_its_list(client, url: str) -> list[tuple[int, str]]:
    counts = counts_on(client, url)
    for count, href in counts:
        target, _, table_id = href.partition("#")
        response = client.get(target)
        assert response.status_code == 200, href
        assert rows_in(response.content.decode(), table_id) == count, (url, href)
    return counts


def test_every_overview_count_is_the_length_of_the_list_it_links_to(demo_console):
    counts = assert_each_count_is_its_list(demo_console, "/overview/")
    links = {href.split("?")[0].split("#")[0] + "#" + href.split("#")[-1] for _, href in counts}
    assert {
        "/mesh/#clusters",
        "/mesh/#control-planes",
        "/namespaces/#inventory-list",
        "/istio/#istio-config",
        "/applications/#inventory-list",
    } <= links
    clusters = next(n for n, href in counts if href.endswith("#clusters"))
    assert clusters == 3  # east, west, and the one an administrator added
    errors = [n for n, href in counts if "validation=error" in href]
    assert errors and errors[0] >= 1


def test_every_namespaces_count_is_the_length_of_the_list_it_links_to(demo_console):
    counts = assert_each_count_is_its_list(demo_console, "/namespaces/?namespaces=&clusterName=")
    assert len(counts) >= 6  # one per namespace with Istio config, at least


@pytest.mark.parametrize(
    ("namespace", "cluster"), [("ecommerce", "east"), ("istio-system", "east"), ("sample", "west")]
)
def test_every_namespace_page_count_is_the_length_of_the_list_it_links_to(
    demo_console, namespace, cluster
):
    counts = assert_each_count_is_its_list(
        demo_console, f"/namespaces/{namespace}/?clusterName={cluster}"
    )
    assert len(counts) == 4  # applications, workloads, services, Istio config


def test_the_ingress_gateways_service_error_is_found_from_the_namespaces_page(demo_console):
    page = demo_console.get("/namespaces/", {"namespaces": "", "clusterName": ""}).content.decode()
    row = page.split('data-name="istio-system" data-cluster="east"', 1)[1].split("</tr>", 1)[0]
    href = html.unescape(re.search(r'href="([^"]*validation=error[^"]*)"', row).group(1))
    listed = demo_console.get(href.split("#")[0]).content.decode()
    service = listed.split('data-kind="Service" data-name="istio-ingressgateway"', 1)[1]
    assert 'data-status="error"' in service.split(">", 1)[0]
    detail = re.search(r'<a href="([^"]+)">istio-ingressgateway</a>', listed).group(1)
    assert detail == "/services/east/istio-system/istio-ingressgateway/"
    assert "KIA0601" in demo_console.get(detail).content.decode()
