"""The registry against real API servers: secrets bring clusters in, failures stay local."""

from __future__ import annotations

import base64
import uuid

import pytest
import yaml
from kubernetes.client import CoreV1Api

from mesh.clusters.access import ClusterAccess
from mesh.clusters.registry import build_registry, home_access
from mesh.kube.access import list_items
from mesh.kube.errors import KubeForbidden
from mesh.sim.demo import publish_remote_cluster

pytestmark = pytest.mark.xdist_group("clusters")


@pytest.fixture
def labelled_secret(east_cluster):
    """Factory for a `kiali.io/multiCluster=true` secret in east's console namespace,
    deleted afterwards (secrets, unlike namespaces, delete fine without controllers)."""
    api = CoreV1Api(east_cluster.api_client("admin"))
    created = []

    def make(data: dict[str, bytes]) -> str:
        name = f"remote-{uuid.uuid4().hex[:8]}"
        api.create_namespaced_secret(
            "istio-system",
            {
                "metadata": {"name": name, "labels": {"kiali.io/multiCluster": "true"}},
                "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
            },
        )
        created.append(name)
        return name

    yield make
    for name in created:
        api.delete_namespaced_secret(name, "istio-system")


def registry_for(east_cluster, tmp_path, config, persona="kiali"):
    path = east_cluster.write_kubeconfig(tmp_path / "home.kubeconfig", persona=persona)
    return build_registry(config, home_access({"KUBECONFIG": str(path)}))


def test_the_service_account_client_reads_the_cluster(east_cluster):
    access = ClusterAccess.from_kubeconfig("east", east_cluster.kubeconfig("kiali"))
    names = {
        ns["metadata"]["name"]
        for ns in list_items(access.service_client(), "east", "v1", "namespaces")
    }
    assert {"default", "istio-system", "kube-system"} <= names


def test_a_user_token_that_rbac_denies_gets_the_real_403(east_cluster):
    access = ClusterAccess.from_kubeconfig("east", east_cluster.kubeconfig("kiali"))
    client = access.user_client(east_cluster.tokens["eve"])
    with pytest.raises(KubeForbidden) as caught:
        list_items(client, "east", "v1", "pods", namespace="istio-system")
    assert caught.value.message == "permission denied for reading pods"
    assert "eve" not in str(caught.value)  # the API server's text goes to the log only
    assert east_cluster.tokens["eve"] not in str(caught.value)


def test_the_user_client_acts_as_the_user_not_the_service_account(east_cluster):
    access = ClusterAccess.from_kubeconfig("east", east_cluster.kubeconfig("kiali"))
    # the service account may list namespaces; alice (group mesh-admins, view) may list pods
    pods = list_items(access.user_client(east_cluster.tokens["alice"]), "east", "v1", "pods")
    assert isinstance(pods, list)
    with pytest.raises(KubeForbidden, match="permission denied for reading namespaces"):
        list_items(access.user_client(east_cluster.tokens["bob"]), "east", "v1", "namespaces")


def test_a_version_the_server_does_not_serve_reads_as_empty(east_cluster):
    # RBAC is asked before routing, so only a caller allowed the resource sees the 404.
    console = ClusterAccess.from_kubeconfig("east", east_cluster.kubeconfig("kiali"))
    assert list_items(console.service_client(), "east", "batch/v1", "cronjobs") == []
    admin = ClusterAccess.from_kubeconfig("east", east_cluster.kubeconfig("admin"))
    assert list_items(admin.service_client(), "east", "discovery.k8s.io/v1", "endpointslices") == []
    assert list_items(admin.service_client(), "east", "policy/v1", "poddisruptionbudgets") == []


def test_the_multi_cluster_secret_in_the_console_namespace_brings_west_in(
    east_cluster, west_cluster, tmp_path, console_on
):
    publish_remote_cluster(east_cluster, west_cluster)
    config = console_on(east_cluster, config={"kubernetes_config": {"cluster_name": "east"}})
    registry = registry_for(east_cluster, tmp_path, config)
    west = registry.get("west")
    assert west is not None
    assert (west.source, west.secret_name, west.reachable) == (
        "bundle",
        "kiali-multi-cluster-secret",
        True,
    )
    assert west.api_endpoint == west_cluster.server
    assert west.version == "v1.20.2"
    assert registry.home == "east" and registry.is_multi_cluster


def test_an_unreachable_remote_cluster_is_marked_and_the_others_stay(
    east_cluster, west_cluster, tmp_path, console_on, labelled_secret
):
    dead = west_cluster.kubeconfig("kiali")
    dead["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:1"
    labelled_secret({"north": yaml.safe_dump(dead).encode()})
    config = console_on(east_cluster, config={"kubernetes_config": {"cluster_name": "east"}})
    registry = registry_for(east_cluster, tmp_path, config)
    north = registry.get("north")
    assert north is not None and not north.reachable
    assert north.reason == "connection to the API server failed"
    assert registry.get("east").reachable


def test_a_kubeconfig_secret_with_garbage_is_named_and_never_shown(
    east_cluster, tmp_path, console_on, labelled_secret
):
    secret = labelled_secret({"south": b"{{{ garbage: [", "nowhere": b"kind: Config\n"})
    config = console_on(east_cluster, config={"kubernetes_config": {"cluster_name": "east"}})
    registry = registry_for(east_cluster, tmp_path, config)
    south, nowhere = registry.get("south"), registry.get("nowhere")
    assert not south.reachable
    assert south.reason == f"secret {secret}, key south: the kubeconfig is not valid YAML"
    assert nowhere.reason == f"secret {secret}, key nowhere: the kubeconfig has no clusters"
    assert "garbage" not in south.reason
    assert registry.get("east").reachable


def test_an_outsider_home_token_cannot_read_secrets_and_the_registry_says_so(
    east_cluster, tmp_path, console_on
):
    config = console_on(
        east_cluster, persona="eve", config={"kubernetes_config": {"cluster_name": "east"}}
    )
    registry = registry_for(east_cluster, tmp_path, config, persona="eve")
    assert any("permission denied for reading secrets" in p for p in registry.problems)
    assert registry.get("east").reachable
