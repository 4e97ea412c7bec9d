"""The masthead's Istio status and help menu pages against the demo's two clusters, for the
console's own account and for a user who reads only some namespaces."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from mesh.sim.demo import publish_remote_cluster

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("clusters")]


@pytest.fixture
def demo(demo_mesh, east_cluster, west_cluster, prometheus_server, console_on):
    cache.clear()
    publish_remote_cluster(east_cluster, west_cluster)

    def configure(strategy: str = "anonymous"):
        return console_on(
            east_cluster,
            config={
                "auth": {"strategy": strategy},
                "external_services": {"prometheus": {"url": prometheus_server.url}},
            },
        )

    yield configure
    cache.clear()


def test_about_shows_the_versions_and_the_masthead_both_control_planes(client, demo):
    demo()
    client.get("/applications/", {"namespaces": ""})  # the inventory is read for this page
    page = client.get("/about/").content.decode()
    assert 'id="about-console">0.1.0<' in page
    prometheus = page.split('id="about-prometheus">', 1)[1].split("<", 1)[0]
    assert prometheus[0].isdigit(), prometheus  # the real Prometheus' own version
    table = page.split('id="about-clusters"', 1)[1]
    for cluster in ("east", "west"):
        row = table.split(f'data-cluster="{cluster}"', 1)[1].split("</tr>", 1)[0]
        assert "v1.20.2" in row and "1.24.2" in row
    masthead = page.split('id="istio-status"', 1)[1].split("</details>", 1)[0]
    assert 'data-state="ok"' in page and "istiod" in masthead
    assert 'data-cluster="east"' in masthead and 'data-cluster="west"' in masthead
    config = client.get("/about/config/")
    assert config.status_code == 200
    assert "strategy: anonymous" in config.content.decode()


def test_a_namespace_viewer_sees_no_control_plane_and_no_configuration(client, demo, east_cluster):
    demo("token")
    assert client.post("/login/", {"token": east_cluster.tokens["bob"]}).status_code == 302
    page = client.get("/about/").content.decode()
    assert 'id="istio-status"' not in page  # bob reads no control-plane namespace
    assert "istiod" not in page and "View the configuration" not in page
    refused = client.get("/about/config/")
    assert refused.status_code == 403
    assert "who may read the console" in refused.content.decode()
    assert "signing_key" not in refused.content.decode()
