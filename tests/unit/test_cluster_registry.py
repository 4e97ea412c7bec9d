"""The registry's pure parts: kubeconfig checks, secrets decoded, links matched."""

from __future__ import annotations

import base64

import pytest
import yaml

from kiali_site.config import parse_config
from mesh.clusters.access import ClusterAccess, KubeconfigError, check_kubeconfig
from mesh.clusters.registry import _decode_secret, _kiali_instances, build_registry

TOKEN = "sekret-token-value-123"


def kubeconfig(server="https://127.0.0.1:6443", user=None):
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "west", "cluster": {"server": server}}],
        "users": [{"name": "kiali", "user": user if user is not None else {"token": TOKEN}}],
        "contexts": [{"name": "west", "context": {"cluster": "west", "user": "kiali"}}],
        "current-context": "west",
    }


def secret(name, data):
    return {
        "metadata": {"name": name, "namespace": "istio-system"},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def test_a_usable_kubeconfig_keeps_its_server_and_hides_its_token():
    access = ClusterAccess.from_kubeconfig("west", kubeconfig())
    assert access.server == "https://127.0.0.1:6443"
    assert access.service_token() == TOKEN
    assert TOKEN not in repr(access)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("just text", "the kubeconfig is not a mapping"),
        ({"clusters": [], "users": []}, "the kubeconfig has no clusters"),
        ({**kubeconfig(), "users": []}, "the kubeconfig has no users"),
        (kubeconfig(server="127.0.0.1:6443"), "has no server URL"),
        (kubeconfig(user={"username": "x"}), "the kubeconfig's user has no credentials"),
    ],
)
def test_an_unusable_kubeconfig_says_why_without_quoting_it(document, message):
    with pytest.raises(KubeconfigError, match=message) as caught:
        check_kubeconfig(document)
    assert TOKEN not in str(caught.value)


def test_exec_plugins_are_stripped_unless_allowed():
    user = {"exec": {"command": "aws", "apiVersion": "client.authentication.k8s.io/v1"}}
    with pytest.raises(KubeconfigError):
        check_kubeconfig(kubeconfig(user=user))
    kept = check_kubeconfig(kubeconfig(user=user), allow_exec=True)
    assert "exec" in kept["users"][0]["user"]


def test_a_secret_gives_one_cluster_per_key_and_garbage_becomes_a_reason():
    good = yaml.safe_dump(kubeconfig())
    bundle = secret("kiali-multi-cluster-secret", {"west": good, "north": "{{{ not yaml"})
    bundle["data"]["south"] = "%%% not base64 %%%"
    bundle["data"]["empty"] = base64.b64encode(b"42").decode()
    found = {c.name: c for c in _decode_secret(bundle, "bundle", allow_exec=False)}
    assert found["west"].access is not None and found["west"].reason == ""
    assert found["north"].access is None
    assert "is not valid YAML" in found["north"].reason
    assert "not base64" in found["south"].reason
    assert "not a mapping" in found["empty"].reason
    assert all(TOKEN not in c.reason for c in found.values())


def test_links_set_the_url_of_a_discovered_console_and_add_the_others():
    config = parse_config(
        "clustering:\n  kiali_urls:\n"
        "  - {cluster_name: east, instance_name: kiali, namespace: istio-system, url: 'https://e/'}\n"
        "  - {cluster_name: east, instance_name: other, namespace: ops, url: 'https://o/'}\n"
        "  - {cluster_name: west, instance_name: kiali, namespace: istio-system, url: 'https://w/'}\n"
    )
    discovered = [
        {
            "metadata": {
                "name": "kiali",
                "namespace": "istio-system",
                "labels": {"app.kubernetes.io/version": "v2.4"},
            }
        }
    ]
    instances = _kiali_instances(config, "east", discovered, [])
    assert [(i.namespace, i.service_name, i.url, i.version) for i in instances] == [
        ("istio-system", "kiali", "https://e/", "v2.4"),
        ("ops", "other", "https://o/", ""),
    ]


def test_without_a_home_cluster_the_registry_says_so_and_lists_known_clusters():
    config = parse_config("clustering:\n  clusters: [{name: far}]\n")
    registry = build_registry(config, None)
    assert registry.problems == [
        "no home cluster: set KUBECONFIG or run the console inside a cluster"
    ]
    (far,) = registry.clusters
    assert (far.name, far.accessible, far.reachable) == ("far", False, False)
    assert not registry.is_multi_cluster
