"""The Mesh page on the demo mesh: clusters, control planes, Prometheus, console links."""

from __future__ import annotations

import logging
import re

import pytest

from mesh.models import Cluster, ClusterLink
from mesh.sim.demo import publish_remote_cluster

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("clusters")]


@pytest.fixture
def demo_console(demo_mesh, east_cluster, west_cluster, prometheus_server, console_on):
    publish_remote_cluster(east_cluster, west_cluster)
    return console_on(
        east_cluster,
        config={"external_services": {"prometheus": {"url": prometheus_server.url}}},
    )


def rows(html: str, table_id: str) -> list[str]:
    section = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "<tr" + r)).strip()
        for r in section.split("<tr")[2:]
    ]


def test_the_mesh_page_lists_east_and_west_with_their_control_planes(client, demo_console):
    response = client.get("/mesh/")
    assert response.status_code == 200
    html = response.content.decode()
    clusters = rows(html, "clusters")
    assert clusters[0].startswith("east home (Kiali home cluster) ● reachable")
    assert clusters[1].startswith("west remote ● reachable")
    assert "kiali-multi-cluster-secret" in clusters[1]
    planes = rows(html, "control-planes")
    assert "east istio-system istiod default 1.24.2 ● ready" in planes
    assert "west istio-system istiod default 1.24.2 ● ready" in planes
    services = rows(html, "external-services")
    assert services[0].startswith("Prometheus")
    assert services[0].endswith("● reachable")


def test_an_htmx_request_gets_only_the_page_content(client, demo_console):
    response = client.get("/mesh/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="clusters"' in html


def test_prometheus_down_shows_metrics_unavailable_with_the_reason(
    client, east_cluster, console_on
):
    console_on(
        east_cluster, config={"external_services": {"prometheus": {"url": "http://127.0.0.1:9"}}}
    )
    html = client.get("/mesh/").content.decode()
    (prometheus,) = rows(html, "external-services")
    assert "● unreachable metrics unavailable: " in prometheus
    assert "127.0.0.1:9" in prometheus


def test_admin_added_clusters_and_links_show_without_a_restart(client, east_cluster, console_on):
    console_on(east_cluster, config={"kubernetes_config": {"cluster_name": "east"}})
    client.get("/mesh/")  # the registry is now cached
    Cluster.objects.create(name="far-away", note="managed by another team")
    ClusterLink.objects.create(
        cluster_name="far-away",
        instance_name="kiali",
        namespace="istio-system",
        url="https://far.example/kiali",
    )
    html = client.get("/mesh/").content.decode()
    far = [r for r in rows(html, "clusters") if r.startswith("far-away")]
    assert far and "added by an administrator ○ inaccessible" in far[0]
    assert '<a href="https://far.example/kiali" target="_blank"' in html


def test_without_a_home_cluster_the_page_says_what_to_set(client, console_on):
    console_on(None)
    html = client.get("/mesh/").content.decode()
    assert "no home cluster: set KUBECONFIG or run the console inside a cluster" in html


def test_when_rbac_denies_the_console_the_page_says_so_and_the_log_has_the_servers_text(
    client, east_cluster, console_on, caplog
):
    console_on(east_cluster, persona="eve", config={"kubernetes_config": {"cluster_name": "east"}})
    caplog.set_level(logging.INFO)
    response = client.get("/mesh/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "permission denied for reading deployments.apps" in html
    assert "eve" not in html  # the account's name is the API server's text, kept for the log
    assert 'deployments.apps is forbidden: User "eve" cannot list resource' in caplog.text


def test_with_a_login_strategy_the_page_asks_for_a_login_first(client, east_cluster, console_on):
    console_on(east_cluster, config={"auth": {"strategy": "token"}})
    response = client.get("/mesh/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fmesh%2F"


def test_health_and_readiness_probes(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "database": "ok"}
