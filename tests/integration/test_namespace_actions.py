"""Sidecar injection enabled, disabled and removed from the Namespaces page (NA-01), on the
real east API server, with the user's own rights."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from mesh.inventory.store import read_snapshot
from mesh.kube.access import get_json, write_json
from mesh.models import ChangeRecord

pytestmark = [pytest.mark.xdist_group("clusters"), pytest.mark.django_db]
pytest_plugins = ["tests.plugins.demo"]


@pytest.fixture
def plain_namespace(east_cluster, demo_mesh, fresh_namespace, console_on) -> str:
    cache.clear()
    namespace = fresh_namespace(east_cluster, "inject")
    config = console_on(east_cluster, config={"auth": {"strategy": "token"}})
    with east_cluster.api_client("kiali") as client:
        read_snapshot(client, "east", config)
    return namespace


def labels_of(cluster, namespace: str) -> dict[str, str]:
    with cluster.api_client("admin") as api:
        return get_json(api, "east", f"/api/v1/namespaces/{namespace}")["metadata"]["labels"]


def login(client, cluster, persona: str) -> None:
    assert client.post("/login/", {"token": cluster.tokens[persona]}).status_code == 302


def row_actions(client, namespace: str) -> list[str]:
    page = client.get("/namespaces/", {"namespaces": namespace, "clusterName": "east"})
    text = page.content.decode()
    if f'data-actions-for="{namespace}"' not in text:
        return []
    menu = text.split(f'data-actions-for="{namespace}"', 1)[1].split("</details>", 1)[0]
    return [part.split('"', 1)[0] for part in menu.split('data-action="')[1:]]


def act(client, namespace: str, action: str):
    return client.post(
        f"/namespaces/{namespace}/injection/",
        {"clusterName": "east", "action": action, "next": "/namespaces/?clusterName=east"},
        follow=True,
    )


def test_an_administrator_turns_injection_on_off_and_away_from_the_namespaces_page(
    client, east_cluster, plain_namespace
):
    login(client, east_cluster, "admin")
    assert row_actions(client, plain_namespace) == ["enable"]
    answer = act(client, plain_namespace, "enable")
    assert "Enable Auto Injection: namespace" in answer.content.decode()
    assert labels_of(east_cluster, plain_namespace)["istio-injection"] == "enabled"

    act(client, plain_namespace, "disable")
    assert labels_of(east_cluster, plain_namespace)["istio-injection"] == "disabled"
    act(client, plain_namespace, "remove")
    assert "istio-injection" not in labels_of(east_cluster, plain_namespace)

    # a namespace injected by revision loses the revision label when injection is set
    with east_cluster.api_client("admin") as api:
        current = get_json(api, "east", f"/api/v1/namespaces/{plain_namespace}")
        current["metadata"]["labels"]["istio.io/rev"] = "canary"
        write_json(api, "east", "PUT", f"/api/v1/namespaces/{plain_namespace}", current)
    act(client, plain_namespace, "enable")
    labels = labels_of(east_cluster, plain_namespace)
    assert labels["istio-injection"] == "enabled" and "istio.io/rev" not in labels

    records = ChangeRecord.objects.filter(namespace=plain_namespace, origin="namespace_injection")
    assert [(r.user, r.succeeded) for r in records] == [("admin", True)] * 4
    updates = [
        e
        for line in east_cluster.audit_log.read_text().splitlines()
        if (e := json.loads(line))["objectRef"].get("resource") == "namespaces"
        and e["objectRef"].get("name") == plain_namespace
        and e["verb"] == "update"
        and "dryRun" not in e["requestURI"]
        and e["stage"] == "ResponseComplete"
    ]
    assert {e["user"]["username"] for e in updates} == {"admin"} and len(updates) == 5


def test_a_reader_is_offered_nothing_and_a_forged_post_changes_nothing(
    client, east_cluster, plain_namespace
):
    login(client, east_cluster, "alice")
    assert row_actions(client, plain_namespace) == []
    answer = act(client, plain_namespace, "enable")
    assert f"You may not change namespace {plain_namespace}" in answer.content.decode()
    assert "istio-injection" not in labels_of(east_cluster, plain_namespace)
    assert not ChangeRecord.objects.filter(namespace=plain_namespace).exists()
