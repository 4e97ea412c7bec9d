"""The local clusters are real Kubernetes API servers: version, RBAC, reviews, kubectl, and
the API groups a 1.20 server does not serve. Later tests rely on all of this being genuine."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes.client
import kubernetes.config
import pytest
from kubernetes.client import ApiException

from mesh.sim.apiserver import CONSOLE_CLUSTER_ROLE, CONSOLE_USER, LocalCluster, start_cluster


def _get(cluster: LocalCluster, path: str, persona: str = "admin") -> Any:
    """A raw GET, for discovery documents the typed client has no method for."""
    with cluster.api_client(persona) as client:
        request = client.param_serialize("GET", path, auth_settings=["BearerToken"])
        response = client.call_api(*request)
        response.read()
        if not 200 <= response.status < 300:
            raise ApiException.from_response(
                http_resp=response, body=response.data.decode(), data=None
            )
        return json.loads(response.data)


def _status_of(call: Callable[[], object]) -> int:
    with pytest.raises(ApiException) as raised:
        call()
    return raised.value.status


def test_version_reports_kubernetes_1_20_2(east_cluster: LocalCluster) -> None:
    with east_cluster.api_client() as client:
        version = kubernetes.client.VersionApi(client).get_code()
    assert version.git_version == "v1.20.2"
    assert (version.major, version.minor) == ("1", "20")


def test_console_service_account_can_list_namespaces(east_cluster: LocalCluster) -> None:
    with east_cluster.api_client("kiali") as client:
        namespaces = kubernetes.client.CoreV1Api(client).list_namespace()
    assert "istio-system" in {ns.metadata.name for ns in namespaces.items}


def test_outsider_is_forbidden_to_list_pods(
    east_cluster: LocalCluster, fresh_namespace: Callable[..., str]
) -> None:
    namespace = fresh_namespace(east_cluster)
    with east_cluster.api_client("eve") as client:
        core = kubernetes.client.CoreV1Api(client)
        assert _status_of(core.list_pod_for_all_namespaces) == 403
        assert _status_of(lambda: core.list_namespaced_pod(namespace)) == 403


def test_forbidden_answer_is_a_kubernetes_status_naming_the_user(
    east_cluster: LocalCluster,
) -> None:
    with east_cluster.api_client("eve") as client, pytest.raises(ApiException) as raised:
        kubernetes.client.CoreV1Api(client).list_namespace()
    status = json.loads(raised.value.body)
    assert status["kind"] == "Status"
    assert status["reason"] == "Forbidden"
    assert 'User "eve"' in status["message"]


def test_mesh_admin_may_view_everything_but_not_write(
    east_cluster: LocalCluster, fresh_namespace: Callable[..., str]
) -> None:
    namespace = fresh_namespace(east_cluster)
    with east_cluster.api_client("alice") as client:
        core = kubernetes.client.CoreV1Api(client)
        assert core.list_namespaced_pod(namespace).items == []
        assert _status_of(lambda: core.create_namespace({"metadata": {"name": "x"}})) == 403


def test_console_reads_secrets_only_in_its_own_namespace(
    east_cluster: LocalCluster, fresh_namespace: Callable[..., str]
) -> None:
    namespace = fresh_namespace(east_cluster)
    with east_cluster.api_client("kiali") as client:
        core = kubernetes.client.CoreV1Api(client)
        core.list_namespaced_secret("istio-system")
        assert _status_of(lambda: core.list_namespaced_secret(namespace)) == 403


# Kiali's viewer ClusterRole (kiali-server Helm chart, templates/role-viewer.yaml), written
# out again here so that the simulator's copy is checked against it, not against itself.
_READ = {"get", "list", "watch"}
KIALI_VIEWER_RULES = [
    ({""}, {"configmaps", "endpoints", "pods/log"}, _READ, set()),
    ({""}, {"namespaces", "pods", "replicationcontrollers", "services"}, _READ, set()),
    ({""}, {"pods/portforward"}, {"create", "post"}, set()),
    (
        {"extensions", "apps"},
        {"daemonsets", "deployments", "replicasets", "statefulsets"},
        _READ,
        set(),
    ),
    ({"batch"}, {"cronjobs", "jobs"}, _READ, set()),
    (
        {
            "networking.istio.io",
            "security.istio.io",
            "extensions.istio.io",
            "telemetry.istio.io",
            "gateway.networking.k8s.io",
            "inference.networking.x-k8s.io",
        },
        {"*"},
        _READ,
        set(),
    ),
    ({"apps.openshift.io"}, {"deploymentconfigs"}, _READ, set()),
    ({"route.openshift.io"}, {"routes"}, {"get"}, set()),
    ({"authentication.k8s.io"}, {"tokenreviews"}, {"create"}, set()),
    ({"oauth.openshift.io"}, {"oauthclients"}, {"get"}, {"kiali-istio-system"}),
    ({"admissionregistration.k8s.io"}, {"mutatingwebhookconfigurations"}, _READ, set()),
]


def _rules_of(role: Any) -> list[tuple[set[str], ...]]:
    return [
        (
            set(rule.api_groups or ()),
            set(rule.resources or ()),
            set(rule.verbs),
            set(rule.resource_names or ()),
        )
        for rule in role.rules
    ]


def test_the_console_account_has_exactly_kialis_viewer_role(east_cluster: LocalCluster) -> None:
    with east_cluster.api_client() as client:
        rbac = kubernetes.client.RbacAuthorizationV1Api(client)
        role = rbac.read_cluster_role(CONSOLE_CLUSTER_ROLE)
        bindings = rbac.list_cluster_role_binding().items
    rules = _rules_of(role)
    assert len(rules) == len(KIALI_VIEWER_RULES)
    assert all(rule in rules for rule in KIALI_VIEWER_RULES)
    bound = [
        b.role_ref.name for b in bindings if any(s.name == CONSOLE_USER for s in b.subjects or ())
    ]
    assert bound == [CONSOLE_CLUSTER_ROLE]


def test_the_viewer_role_leaves_out_service_accounts_nodes_and_roles(
    east_cluster: LocalCluster,
) -> None:
    with east_cluster.api_client("kiali") as client:
        core = kubernetes.client.CoreV1Api(client)
        rbac = kubernetes.client.RbacAuthorizationV1Api(client)
        assert _status_of(core.list_service_account_for_all_namespaces) == 403
        assert _status_of(core.list_node) == 403
        assert _status_of(rbac.list_role_for_all_namespaces) == 403
        assert _status_of(core.list_secret_for_all_namespaces) == 403


def test_every_signed_in_identity_may_review_its_own_access_through_basic_user(
    east_cluster: LocalCluster,
) -> None:
    """The viewer role has no SelfSubjectAccessReview: Kubernetes grants it to everyone
    authenticated with its bootstrap role system:basic-user, which this server carries."""
    with east_cluster.api_client() as client:
        rbac = kubernetes.client.RbacAuthorizationV1Api(client)
        binding = rbac.read_cluster_role_binding("system:basic-user")
        role = rbac.read_cluster_role("system:basic-user")
    assert binding.role_ref.name == "system:basic-user"
    assert ("Group", "system:authenticated") in {(s.kind, s.name) for s in binding.subjects}
    assert any(
        "selfsubjectaccessreviews" in (rule.resources or ()) and "create" in rule.verbs
        for rule in role.rules
    )
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": "list", "resource": "serviceaccounts"}},
    }
    with east_cluster.api_client("kiali") as client:
        answer = kubernetes.client.AuthorizationV1Api(client).create_self_subject_access_review(
            review
        )
    assert answer.status.allowed is False  # asked and answered, not refused


@pytest.mark.parametrize(
    ("persona", "allowed"), [("alice", True), ("kiali", True), ("bob", False), ("eve", False)]
)
def test_self_subject_access_review_answers_for_the_caller(
    east_cluster: LocalCluster, persona: str, allowed: bool
) -> None:
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {
            "resourceAttributes": {"namespace": "istio-system", "verb": "list", "resource": "pods"}
        },
    }
    with east_cluster.api_client(persona) as client:
        answer = kubernetes.client.AuthorizationV1Api(client).create_self_subject_access_review(
            review
        )
    assert answer.status.allowed is allowed


def test_kubectl_lists_namespaces_with_a_written_kubeconfig(
    east_cluster: LocalCluster, tmp_path: Path
) -> None:
    kubeconfig = east_cluster.write_kubeconfig(tmp_path / "kubeconfig", "kiali")
    assert kubeconfig.stat().st_mode & 0o077 == 0
    result = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), "get", "ns", "-o", "name"],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "KUBECONFIG"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "namespace/istio-system" in result.stdout.split()


def test_batch_v1_cronjobs_are_not_served_but_v1beta1_is(east_cluster: LocalCluster) -> None:
    with east_cluster.api_client() as client:
        batch = kubernetes.client.BatchV1Api(client)
        assert _status_of(lambda: batch.list_namespaced_cron_job("istio-system")) == 404
        batch.list_namespaced_job("istio-system")
    beta = _get(east_cluster, "/apis/batch/v1beta1")
    assert "cronjobs" in {resource["name"] for resource in beta["resources"]}


@pytest.mark.parametrize("group_version", ["discovery.k8s.io/v1", "policy/v1"])
def test_newer_api_versions_are_not_found(east_cluster: LocalCluster, group_version: str) -> None:
    assert _status_of(lambda: _get(east_cluster, f"/apis/{group_version}")) == 404
    served = _get(east_cluster, "/apis")
    versions = {v["groupVersion"] for group in served["groups"] for v in group["versions"]}
    assert group_version not in versions
    assert group_version.replace("/v1", "/v1beta1") in versions


def test_clusters_do_not_accept_each_others_tokens(
    east_cluster: LocalCluster, west_cluster: LocalCluster
) -> None:
    assert east_cluster.server != west_cluster.server
    config = east_cluster.kubeconfig(token=west_cluster.tokens["admin"])
    client = kubernetes.config.new_client_from_config_dict(config)
    with client:
        assert _status_of(kubernetes.client.CoreV1Api(client).list_namespace) == 401


def test_extra_users_join_the_token_file_and_stop_is_idempotent(tmp_path: Path) -> None:
    cluster = start_cluster(
        "solo", tmp_path / "solo", extra_users=[("oauth-token-for-dora", "dora", ["mesh-admins"])]
    )
    processes = list(cluster._processes)
    try:
        config = cluster.kubeconfig(token="oauth-token-for-dora")
        with kubernetes.config.new_client_from_config_dict(config) as client:
            assert kubernetes.client.CoreV1Api(client).list_namespace().items
    finally:
        cluster.stop()
    cluster.stop()
    assert len(processes) == 2
    assert all(process.poll() is not None for process in processes)


def test_a_server_that_cannot_start_fails_with_its_log_not_a_hang(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="unknown flag: --no-such-flag") as raised:
        start_cluster("broken", tmp_path / "broken", extra_args=["--no-such-flag"])
    assert "kube-apiserver for broken exited" in str(raised.value)


def test_pod_logs_fail_at_once_instead_of_dialing_the_node(
    east_cluster: LocalCluster, fresh_namespace: Callable[..., str]
) -> None:
    """The egress selector sends kubelet traffic to a socket that does not exist."""
    namespace = fresh_namespace(east_cluster)
    node = f"node-{namespace}"
    with east_cluster.api_client() as client:
        core = kubernetes.client.CoreV1Api(client)
        core.create_node({"metadata": {"name": node}})
        core.patch_node_status(
            node,
            {
                "status": {
                    "addresses": [{"type": "InternalIP", "address": "10.1.2.3"}],
                    "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                }
            },
        )
        pod = {"spec": {"nodeName": node, "containers": [{"name": "app", "image": "app"}]}}
        core.create_namespaced_pod(namespace, {"metadata": {"name": "p"}, **pod})
        started = time.monotonic()
        with pytest.raises(ApiException) as raised:
            core.read_namespaced_pod_log("p", namespace)
    assert raised.value.status == 500
    assert "no-cluster-network.sock" in raised.value.body
    assert time.monotonic() - started < 5
