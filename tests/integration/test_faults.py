"""Faults on the real peers: a frozen Prometheus (SIGSTOP) and a frozen API server.

A frozen process keeps its port open and answers nothing, as a hung server does. The
console must fail within its deadline, then at once while the fault lasts, say so on every
page that depends on it, keep what it knew, and notice recovery by itself.
"""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from mesh.api.graph import SAME_GRAPHS
from mesh.sim.demo import publish_remote_cluster
from mesh.sim.faults import api_server_answers, frozen_api_server, frozen_prometheus
from tests.plugins.console import wait_for

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("clusters")]

GRAPH = "/api/namespaces/graph"
GRAPH_PARAMS = {"namespaces": "bookinfo,ecommerce", "duration": "60s", "graphType": "workload"}
RECOVERY = 15.0  # seconds within which a recovered dependency must be noticed


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def timed_get(client, url, params=None):
    started = time.monotonic()
    response = client.get(url, params or {})
    return response, time.monotonic() - started


def test_a_frozen_prometheus_fails_the_graph_within_its_deadline_then_at_once_then_recovers(
    client, demo_mesh, east_cluster, freezable_prometheus, console_on
):
    console_on(
        east_cluster,
        config={
            "external_services": {"prometheus": {"url": freezable_prometheus.url}},
            "kiali_internal": {"deadlines": {"graph": "3s"}},
        },
    )
    assert client.get(GRAPH, GRAPH_PARAMS).status_code == 200
    SAME_GRAPHS.clear()  # else the graph just built answers the next request

    with frozen_prometheus(freezable_prometheus):
        first, first_took = timed_get(client, GRAPH, GRAPH_PARAMS)
        assert first.status_code == 503, first.content
        assert first["Retry-After"]
        assert "Prometheus did not answer within 3s" in first.json()["error"]
        # The deadline bounds all of the request's queries together, not each one.
        assert first_took < 3 + 2, first_took

        second, second_took = timed_get(client, GRAPH, GRAPH_PARAMS)
        assert second.status_code == 503 and second["Retry-After"]
        error = second.json()["error"]
        assert "Prometheus: not answering since" in error
        assert "(Prometheus did not answer within 3s)" in error
        # No wait on Prometheus at all (the target is 100 ms; the machine under a
        # parallel test run gets some slack).
        assert second_took < 1.0, second_took
        print(
            f"frozen Prometheus: first graph {first_took:.2f} s, next {second_took * 1000:.0f} ms"
        )

        # Pages that need no Prometheus answer, saying what is down.
        page = client.get("/namespaces/")
        html = page.content.decode()
        assert page.status_code == 200
        assert 'id="outages"' in html and "Prometheus: not answering since" in html
        assert 'data-cluster="east"' in html  # the inventory is listed

    # The background probe notices the recovery; no user has to retry into a hang.
    _, took = wait_for(
        lambda: client.get(GRAPH, GRAPH_PARAMS).status_code == 200, "graph after SIGCONT"
    )
    print(f"graph answers again {took:.1f} s after SIGCONT")
    assert 'id="outages"' not in client.get("/namespaces/").content.decode()


def test_a_frozen_api_server_keeps_its_cluster_listed_as_unreachable(
    client, demo_mesh, east_cluster, west_cluster, prometheus_server, console_on
):
    publish_remote_cluster(east_cluster, west_cluster)
    console_on(
        east_cluster,
        config={
            "external_services": {"prometheus": {"url": prometheus_server.url}},
            "kiali_internal": {"deadlines": {"kubernetes": "3s"}},
        },
    )
    before = client.get("/namespaces/").content.decode()
    assert 'data-name="sample" data-cluster="west"' in before
    assert client.get("/applications/west/sample/helloworld/").status_code == 200

    with frozen_api_server(west_cluster):

        def namespaces_page_says_west_is_down() -> str:
            """Until the console next reads west (its caches expire), the page shows what
            it read; from then on the banner. Either way west stays listed, in time."""
            response, took = timed_get(client, "/namespaces/")
            assert response.status_code == 200
            assert took < 3 + 3, took  # the cluster's deadline, plus the page's own work
            html = response.content.decode()
            assert 'data-name="sample" data-cluster="west"' in html
            return html if 'data-dependency="cluster west"' in html else ""

        html, noticed = wait_for(namespaces_page_says_west_is_down, "west's banner", within=45)
        print(f"frozen west noticed on Namespaces after {noticed:.1f} s")
        assert "Cluster west: not answering since" in html
        # Still listed where it was, marked, with the time of the last good read.
        assert "console-unreachable" in html
        assert "showing what was read at" in html

        overview = client.get("/overview/").content.decode()
        assert 'data-dependency="cluster west"' in overview
        assert "west: unreachable since" in overview

        graph_page = client.get("/graph/", {"namespaces": "sample"}).content.decode()
        assert 'data-dependency="cluster west"' in graph_page
        assert '<option value="west"' in graph_page and "west (unreachable)" in graph_page

        app, took = timed_get(client, "/applications/west/sample/helloworld/")
        assert app.status_code == 503 and app["Retry-After"]
        assert "Cluster west is unreachable since" in app.content.decode()
        assert took < 1.0, took  # known down: no wait

        api = client.get("/api/namespaces/sample/workloads/helloworld-v2", {"clusterName": "west"})
        assert api.status_code == 503 and api["Retry-After"]
        assert "unreachable" in api.json()["error"]

    wait_for(lambda: api_server_answers(west_cluster), "west's API server after SIGCONT")
    wait_for(
        lambda: client.get("/applications/west/sample/helloworld/").status_code == 200,
        "west's application page after SIGCONT",
        within=30,
    )


def test_health_older_than_twice_its_refresh_interval_is_marked_stale(
    client, demo_mesh, east_cluster, prometheus_server, console_on, time_machine
):
    console_on(
        east_cluster,
        config={
            "external_services": {"prometheus": {"url": prometheus_server.url}},
            "health_config": {"compute": {"refresh_interval": "1m"}},
        },
    )
    fresh = client.get("/namespaces/").content.decode()
    assert 'id="health-stale"' not in fresh and "Health computed" in fresh

    time_machine.move_to(time.time() + 150, tick=True)
    stale = client.get("/namespaces/").content.decode()
    assert 'id="health-stale"' in stale
    assert "Health shown is stale: computed 2 min ago" in stale
    assert "refreshed every 60 s" in stale
