"""workloadEntry (graph.md 5.2): WorkloadEntries whose app and version labels equal a node's."""

from __future__ import annotations

from tests.unit.graph_fixtures import graph_json, h, shop_answers


def entry(name: str, namespace: str = "shop", **labels: str) -> dict:  # type: ignore[type-arg]
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "WorkloadEntry",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"address": "10.0.0.7", "labels": labels},
    }


ENTRIES = [
    entry("cart-vm-a", app="cart", version="v1"),
    entry("cart-vm-b", app="cart", version="v1"),
    entry("cart-vm-v2", app="cart", version="v2"),
    entry("cart-vm-unversioned", app="cart"),  # no version label: matches nothing
    entry("cart-vm-elsewhere", namespace="other", app="cart", version="v1"),
]


def lister(cluster: str, group_version: str, plural: str) -> list[dict]:  # type: ignore[type-arg]
    if (cluster, group_version, plural) == ("c1", "networking.istio.io/v1", "workloadentries"):
        return ENTRIES
    return []


def nodes(document: dict) -> dict:  # type: ignore[type-arg]
    return {n["data"]["id"]: n["data"] for n in document["elements"]["nodes"]}


def test_entries_with_the_nodes_app_and_version_are_listed_on_it():
    document = graph_json(
        {"namespaces": "shop", "graphType": "workload", "appenders": "workloadEntry"},
        shop_answers,
        objects=lister,
    )
    found = nodes(document)
    assert found[h("wl_c1_shop_cart-v1")]["hasWorkloadEntry"] == [
        {"name": "cart-vm-a"},
        {"name": "cart-vm-b"},
    ]
    assert found[h("wl_c1_shop_cart-v2")]["hasWorkloadEntry"] == [{"name": "cart-vm-v2"}]
    assert "hasWorkloadEntry" not in found[h("wl_c1_shop_frontend-v1")]


def test_versionless_app_nodes_and_inaccessible_namespaces_get_none():
    app_graph = graph_json(
        {"namespaces": "shop", "graphType": "app", "appenders": "workloadEntry"},
        shop_answers,
        objects=lister,
    )
    assert "hasWorkloadEntry" not in nodes(app_graph)[h("app_c1_shop_cart")]
    hidden = graph_json(
        {"namespaces": "shop", "graphType": "workload", "appenders": "workloadEntry"},
        shop_answers,
        objects=lister,
        accessible=set(),
    )
    assert not any("hasWorkloadEntry" in n for n in nodes(hidden).values())


def test_without_the_appender_nothing_is_listed():
    listed: list[str] = []

    def counting(cluster: str, group_version: str, plural: str) -> list[dict]:  # type: ignore[type-arg]
        listed.append(plural)
        return lister(cluster, group_version, plural)

    graph_json({"namespaces": "shop", "graphType": "workload"}, shop_answers, objects=counting)
    assert "workloadentries" not in listed
