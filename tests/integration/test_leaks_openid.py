"""The leak crawl with one OpenID login reaching both clusters (tests/leak_crawl.py).

carol reads sample on east and on west with the same ID token; eve reads nothing, still
gets in (as the login issue chose for OpenID) and must see nothing of the mesh.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from kiali_site.auth.openid import forget_provider_metadata
from tests.integration.test_auth_openid import log_in
from tests.leak_crawl import assert_no_leaks, crawl_pages, page_kind, probe_in_sample
from tests.plugins.auth import visible_to
from tests.plugins.auth_peers import openid_auth
from tests.plugins.prometheus import wait_for_samples

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("auth-clusters")]


@pytest.fixture
def openid_leak_console(
    auth_clusters, oidc_provider, auth_pki, prometheus_server, console_on, settings
) -> Iterator[str]:
    forget_provider_metadata()
    settings.KIALI_CA_BUNDLE = str(auth_pki.ca_file)
    wait_for_samples(prometheus_server.url, "sum(rate(istio_requests_total[60s])) > 0")
    with probe_in_sample(auth_clusters.east):
        console_on(
            auth_clusters.east,
            config={
                "auth": openid_auth(oidc_provider, username_claim="sub"),
                "external_services": {"prometheus": {"url": prometheus_server.url}},
            },
        )
        cache.clear()
        yield prometheus_server.url
    cache.clear()
    forget_provider_metadata()


def test_carol_on_both_clusters_sees_nothing_outside_sample(
    client, openid_leak_console, auth_clusters, oidc_provider, auth_pki
):
    log_in(client, oidc_provider, auth_pki, "carol")
    visible = visible_to(client)
    assert visible == {("east", "sample"), ("west", "sample")}
    result = crawl_pages(client, visible)
    reached = {page_kind(url) for url in result.bodies}
    assert {"workloads:inbound", "services:traffic", "applications:overview", "istio"} <= reached
    assert any(url.startswith("/workloads/west/sample/") for url in result.bodies)
    assert_no_leaks(result, auth_clusters.clusters, visible, openid_leak_console)


def test_an_openid_user_with_no_namespace_sees_nothing_of_the_mesh(
    client, openid_leak_console, auth_clusters, oidc_provider, auth_pki
):
    log_in(client, oidc_provider, auth_pki, "eve")
    assert visible_to(client) == set()
    result = crawl_pages(client, set())
    assert b'id="no-namespaces"' in client.get("/mesh/").content
    assert_no_leaks(result, auth_clusters.clusters, set(), openid_leak_console)
