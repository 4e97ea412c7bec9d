"""Nobody sees more than their own credentials allow: a crawl of the whole console per persona.

Each persona logs in with its own token and follows every link the pages offer (lists,
details, Istio config, metrics, the Mesh page), plus the JSON APIs and graphs a client
would call. Every body is then scanned for the identity of anything the persona may not
read: namespaces, the objects in them, the remote-cluster Secret, the API endpoints of
clusters it does not reach, Prometheus' address and the control planes. A VirtualService
`sample/probe` routes to `reviews.bookinfo`, so references cross the line both ways.

Personas (mesh/sim/demo/*/rbac.yaml): bob reads bookinfo and ecommerce on east, carol
reads sample (east and west; the token strategy logs into the home cluster), eve reads
nothing. The console's own account holds Kiali's viewer role (mesh/sim/apiserver.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from mesh.sim.apiserver import LocalCluster
from mesh.sim.demo import publish_remote_cluster
from tests.leak_crawl import (
    Crawl,
    assert_no_leaks,
    crawl_pages,
    page_kind,
    probe_in_sample,
)
from tests.plugins.auth import visible_to
from tests.plugins.prometheus import wait_for_samples

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("clusters")]


@pytest.fixture
def leak_console(
    demo_mesh, east_cluster, west_cluster, prometheus_server, console_on
) -> Iterator[str]:
    publish_remote_cluster(east_cluster, west_cluster)
    wait_for_samples(prometheus_server.url, "sum(rate(istio_requests_total[60s])) > 0")
    with probe_in_sample(east_cluster):
        console_on(
            east_cluster,
            config={
                "auth": {"strategy": "token"},
                "external_services": {"prometheus": {"url": prometheus_server.url}},
            },
        )
        cache.clear()
        yield prometheus_server.url
    cache.clear()


def _crawl_as(client: Client, cluster: LocalCluster, persona: str) -> tuple[Crawl, set]:
    response = client.post("/login/", {"token": cluster.tokens[persona], "next": "/overview/"})
    assert response.status_code == 302, response.content[:300]
    visible = visible_to(client)
    return crawl_pages(client, visible), visible


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("bob", {("east", "bookinfo"), ("east", "ecommerce")}),
        ("carol", {("east", "sample")}),
    ],
)
def test_a_crawl_of_the_whole_console_shows_nothing_the_persona_cannot_read(
    client, leak_console, local_clusters, east_cluster, persona, expected
):
    result, visible = _crawl_as(client, east_cluster, persona)
    assert visible == expected
    reached = {page_kind(url) for url in result.bodies}
    for kind in ("workloads:inbound", "services:traffic", "applications:overview", "istio"):
        assert kind in reached, sorted(reached)  # the crawl reached every kind of page
    assert any(url.startswith("/istio/east/") for url in result.bodies)
    assert_no_leaks(result, local_clusters, visible, leak_console)


def test_references_into_hidden_namespaces_are_counted_not_named(
    client, leak_console, east_cluster
):
    client.post("/login/", {"token": east_cluster.tokens["bob"], "next": "/overview/"})
    page = client.get("/istio/east/bookinfo/DestinationRule/reviews/").content.decode()
    assert "sample/probe" not in page
    assert 'data-hidden-refs="1"' in page
    assert "1 object in namespaces you cannot see" in page
    client.post("/login/", {"token": east_cluster.tokens["carol"], "next": "/overview/"})
    probe = client.get("/istio/east/sample/VirtualService/probe/").content.decode()
    assert "bookinfo/reviews" not in probe
    assert 'data-hidden-refs="' in probe


def test_a_token_that_reads_no_namespace_is_refused_at_login(client, leak_console, east_cluster):
    response = client.post("/login/", {"token": east_cluster.tokens["eve"], "next": "/mesh/"})
    assert response.status_code == 401
    assert b"not enough privileges to login" in response.content
    assert client.get("/mesh/").status_code == 302  # no session was opened
    api = client.post("/api/authenticate", {"token": east_cluster.tokens["eve"]})
    assert api.status_code == 401
    assert api.json() == {"error": "not enough privileges to login"}
