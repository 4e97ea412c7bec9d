"""Reading a live cluster for validation: one list per kind, and a kind that cannot be read
costs only that kind, with a plain message for the page and the server's words in the log."""

from __future__ import annotations

import logging
import time
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache

from kiali_site.config import parse_config
from mesh.clusters.access import KubeconfigError
from mesh.clusters.registry import invalidate_registry
from mesh.kube.errors import ClusterUnreachable, KubeError, KubeForbidden
from validations.engine import validate
from validations.live import CONTEXT_RESOURCES, context_for, gather
from validations.results import (
    FAILED_KEY,
    QUEUED_KEY,
    STALLED_AFTER_SECONDS,
    config_counts,
    last_failure,
    refresh,
    store,
)

CONFIG = parse_config("{}")
# What an API server says when it refuses: it names the identity that asked.
SERVER_TEXT = (
    'sidecars.networking.istio.io is forbidden: User "system:serviceaccount:istio-system:'
    'kiali-service-account" cannot list resource "sidecars"'
)

DISCOVERY = {
    "/apis/networking.istio.io": {
        "preferredVersion": {"version": "v1"},
        "versions": [{"version": "v1"}],
    },
    "/apis/networking.istio.io/v1": {
        "resources": [
            {"name": "virtualservices", "kind": "VirtualService", "namespaced": True},
            {"name": "destinationrules", "kind": "DestinationRule", "namespaced": True},
            {"name": "sidecars", "kind": "Sidecar", "namespaced": True},
            {"name": "serviceentries", "kind": "ServiceEntry", "namespaced": True},
        ]
    },
    "/apis/security.istio.io": {
        "preferredVersion": {"version": "v1"},
        "versions": [{"version": "v1"}],
    },
    "/apis/security.istio.io/v1": {
        "resources": [
            {"name": "authorizationpolicies", "kind": "AuthorizationPolicy", "namespaced": True}
        ]
    },
}


def item(name: str, namespace: str = "bookinfo", **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace}, "spec": spec}


LISTS: dict[str, list[dict[str, Any]]] = {
    "namespaces": [{"metadata": {"name": "bookinfo"}}],
    "services": [item("reviews", ports=[{"name": "http", "port": 9080}])],
    "virtualservices": [
        item("reviews", hosts=["reviews"], http=[{"route": [{"destination": {"host": "reviews"}}]}])
    ],
    "destinationrules": [item("reviews", host="reviews")],
    "sidecars": [item("default", egress=[{"hosts": ["./*"]}])],
}


class CannedCluster:
    """Answers validation's reads from the dicts above; `refuse` maps a plural (or a path)
    to the error the API server would give for it."""

    def __init__(self, refuse: dict[str, KubeError] | None = None) -> None:
        self.refuse = refuse or {}
        self.listed: list[str] = []

    def get_json(self, path: str) -> dict[str, Any] | None:
        if path in self.refuse:
            raise self.refuse[path]
        return DISCOVERY.get(path)

    def list_items(self, api_version: str, plural: str) -> list[dict[str, Any]]:
        self.listed.append(plural)
        if plural in self.refuse:
            raise self.refuse[plural]
        return LISTS.get(plural, [])


def forbidden() -> KubeForbidden:
    return KubeForbidden("east", SERVER_TEXT)


def test_every_kind_is_read_with_one_list_and_service_accounts_are_not_among_them():
    cluster = CannedCluster()
    objects = gather(cluster, "east", CONFIG)
    assert objects.problems == []
    assert "serviceaccounts" not in cluster.listed
    assert sorted(cluster.listed) == sorted(
        [plural for _, _, plural in CONTEXT_RESOURCES]
        + ["virtualservices", "destinationrules", "sidecars", "serviceentries"]
        + ["authorizationpolicies"]
    )
    kinds = {doc["kind"] for doc in objects.documents}
    assert {"VirtualService", "DestinationRule", "Sidecar", "Service", "Namespace"} <= kinds


def test_a_forbidden_kind_is_left_out_and_named_in_plain_words(caplog):
    cluster = CannedCluster({"sidecars": forbidden()})
    with caplog.at_level(logging.WARNING, logger="validations.live"):
        objects = gather(cluster, "east", CONFIG)
    assert objects.problems == ["Sidecars could not be read: permission denied"]
    assert "Sidecar" not in {doc["kind"] for doc in objects.documents}
    assert SERVER_TEXT in caplog.text  # the server's words go to the log only


def test_validation_goes_on_with_the_kinds_that_were_read():
    objects = gather(CannedCluster({"sidecars": forbidden()}), "east", CONFIG)
    records = {r.key for r in validate(context_for(objects, CONFIG))}
    assert ("VirtualService", "bookinfo", "reviews") in records
    assert ("DestinationRule", "bookinfo", "reviews") in records


def test_each_unread_kind_gets_its_own_message_with_its_plural():
    failed = KubeError("east", "the API server failed the request (HTTP 500)")
    cluster = CannedCluster(
        {"authorizationpolicies": forbidden(), "serviceentries": failed, "pods": forbidden()}
    )
    assert sorted(gather(cluster, "east", CONFIG).problems) == [
        "AuthorizationPolicies could not be read: permission denied",
        "Pods could not be read: permission denied",
        "ServiceEntries could not be read: the API server failed the request",
    ]


def test_an_unreadable_mesh_config_map_is_a_problem_not_a_failure():
    path = "/api/v1/namespaces/istio-system/configmaps/istio"
    objects = gather(CannedCluster({path: forbidden()}), "east", CONFIG)
    assert objects.problems == [
        "The mesh configuration (ConfigMap istio-system/istio) could not be read: "
        "permission denied; Istio's defaults were assumed"
    ]


def test_an_unreachable_cluster_fails_the_whole_read():
    gone = ClusterUnreachable("east", "connection to the API server failed")
    with pytest.raises(ClusterUnreachable):
        gather(CannedCluster({"pods": gone}), "east", CONFIG)


# --- what pages learn from the cache ----------------------------------------------------------


@pytest.fixture
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def broken_registry() -> Any:
    def service_client() -> Any:
        raise KubeconfigError("KUBECONFIG /nowhere: No such file or directory")

    return SimpleNamespace(access={"east": SimpleNamespace(service_client=service_client)})


def test_a_failed_validation_is_reported_to_pages_instead_of_pending(empty_cache):
    with pytest.raises(KubeconfigError):
        refresh(broken_registry(), CONFIG, "east")
    assert last_failure("east") == "KUBECONFIG /nowhere: No such file or directory"
    overview = config_counts(["east"])
    assert overview.pending == []
    assert overview.failed == {"east": "KUBECONFIG /nowhere: No such file or directory"}


def test_a_result_replaces_the_failure_and_carries_its_problems(empty_cache):
    cache.set(FAILED_KEY.format(cluster="east"), "permission denied")
    store("east", 0.0, [], ["Sidecars could not be read: permission denied"])
    overview = config_counts(["east"])
    assert overview.failed == {}
    assert overview.problems == {"east": ["Sidecars could not be read: permission denied"]}


@pytest.mark.django_db
def test_a_validation_queued_long_ago_without_an_answer_is_reported_as_lost(
    empty_cache, monkeypatch
):
    # No cluster to validate: the queued task (run at once here) finds nothing to do.
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    invalidate_registry()
    queued_at = time.time() - STALLED_AFTER_SECONDS - 60
    cache.set(QUEUED_KEY.format(cluster="east"), queued_at)
    overview = config_counts(["east"])
    assert overview.pending == []
    assert "has not finished; is the console's Celery worker running?" in overview.failed["east"]
    invalidate_registry()
