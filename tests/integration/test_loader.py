"""The loader against real API servers: the demo mesh looks like a running Istio mesh."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import kubernetes.client
import pytest
from kubernetes.client.exceptions import ApiException

from mesh.sim.apiserver import LocalCluster
from mesh.sim.loader import ManifestError, apply_manifests, demo_paths

if TYPE_CHECKING:
    from tests.plugins.demo import LoadedDemo


def _get(cluster: LocalCluster, path: str, persona: str = "admin") -> dict[str, Any]:
    with cluster.api_client(persona) as client:
        method, url, headers, body, _ = client.param_serialize(
            "GET", path, header_params={"Accept": "application/json"}, auth_settings=["BearerToken"]
        )
        response = client.call_api(method, url, header_params=headers, body=body)
        response.read()
        if response.status != 200:
            raise ApiException(http_resp=response)
        return json.loads(response.data)


def _items(cluster: LocalCluster, path: str) -> list[dict[str, Any]]:
    return list(_get(cluster, path)["items"])


def _by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["metadata"]["name"]: i for i in items}


def _condition(obj: dict[str, Any], kind: str) -> str | None:
    return next(
        (c["status"] for c in obj["status"].get("conditions", []) if c["type"] == kind), None
    )


def test_demo_pods_in_injected_namespaces_run_ready_with_sidecars(demo_mesh: LoadedDemo):
    for namespace in ("bookinfo", "ecommerce", "sample"):
        pods = _items(demo_mesh.east, f"/api/v1/namespaces/{namespace}/pods")
        assert pods
        for pod in pods:
            assert pod["status"]["phase"] == "Running"
            assert _condition(pod, "Ready") == "True"
            assert _condition(pod, "ContainersReady") == "True"
            assert all(s["ready"] for s in pod["status"]["containerStatuses"])
            containers = [c["name"] for c in pod["spec"]["containers"]]
            assert containers[-1] == "istio-proxy"
            assert pod["spec"]["containers"][-1]["image"] == "docker.io/istio/proxyv2:1.24.2"
            assert [c["name"] for c in pod["spec"]["initContainers"]] == ["istio-init"]
            labels = pod["metadata"]["labels"]
            assert labels["security.istio.io/tlsMode"] == "istio"
            assert labels["service.istio.io/canonical-name"] == labels["app"]
            status = json.loads(pod["metadata"]["annotations"]["sidecar.istio.io/status"])
            assert status["containers"] == ["istio-proxy"]
            assert pod["spec"]["nodeName"].startswith("east-worker-")
            assert pod["status"]["podIP"].startswith("10.244.")


def test_control_plane_and_gateway_pods_have_no_sidecar(demo_mesh: LoadedDemo):
    pods = _items(demo_mesh.east, "/api/v1/namespaces/istio-system/pods")
    assert {p["metadata"]["labels"]["app"] for p in pods} == {"istiod", "istio-ingressgateway"}
    for pod in pods:
        assert "sidecar.istio.io/status" not in pod["metadata"].get("annotations", {})
        assert pod["status"]["phase"] == "Running"
    gateway = next(p for p in pods if p["metadata"]["labels"]["app"] == "istio-ingressgateway")
    assert [c["name"] for c in gateway["spec"]["containers"]] == ["istio-proxy"]


def test_replicasets_are_owned_by_deployments_and_pods_by_replicasets(demo_mesh: LoadedDemo):
    base = "/apis/apps/v1/namespaces/bookinfo"
    deployments = _by_name(_items(demo_mesh.east, f"{base}/deployments"))
    replicasets = _by_name(_items(demo_mesh.east, f"{base}/replicasets"))
    assert len(replicasets) == len(deployments) == 6
    for name, replicaset in replicasets.items():
        (owner,) = replicaset["metadata"]["ownerReferences"]
        assert owner["kind"] == "Deployment"
        assert owner["uid"] == deployments[owner["name"]]["metadata"]["uid"]
        template_hash = replicaset["metadata"]["labels"]["pod-template-hash"]
        assert name == f"{owner['name']}-{template_hash}"
    for pod in _items(demo_mesh.east, "/api/v1/namespaces/bookinfo/pods"):
        (owner,) = pod["metadata"]["ownerReferences"]
        assert owner["kind"] == "ReplicaSet"
        assert owner["uid"] == replicasets[owner["name"]]["metadata"]["uid"]
        assert pod["metadata"]["labels"]["pod-template-hash"] in owner["name"]


def test_deployment_status_says_all_replicas_are_available(demo_mesh: LoadedDemo):
    for deployment in _items(demo_mesh.east, "/apis/apps/v1/deployments"):
        status = deployment["status"]
        wanted = deployment["spec"]["replicas"]
        assert status["readyReplicas"] == status["availableReplicas"] == wanted
        assert status["observedGeneration"] == deployment["metadata"]["generation"]
        assert _condition(deployment, "Available") == "True"


def test_endpoints_list_the_ips_of_the_pods_a_service_selects(demo_mesh: LoadedDemo):
    pods = _items(demo_mesh.east, "/api/v1/namespaces/bookinfo/pods?labelSelector=app%3Dreviews")
    endpoints = _get(demo_mesh.east, "/api/v1/namespaces/bookinfo/endpoints/reviews")
    (subset,) = endpoints["subsets"]
    assert sorted(a["ip"] for a in subset["addresses"]) == sorted(
        p["status"]["podIP"] for p in pods
    )
    assert len(pods) == 3
    assert subset["ports"] == [{"name": "http", "port": 9080, "protocol": "TCP"}]
    istiod = _get(demo_mesh.east, "/api/v1/namespaces/istio-system/endpoints/istiod")
    assert {p["port"] for p in istiod["subsets"][0]["ports"]} == {15010, 15012, 15017, 15014}


def test_istiod_knows_which_cluster_it_runs_in(demo_mesh: LoadedDemo):
    for name, cluster in demo_mesh.clusters.items():
        istiod = _get(cluster, "/apis/apps/v1/namespaces/istio-system/deployments/istiod")
        env = {
            e["name"]: e.get("value")
            for e in istiod["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        assert env["CLUSTER_ID"] == name


def test_west_runs_helloworld_v2_with_west_identity(demo_mesh: LoadedDemo):
    pods = _by_name(_items(demo_mesh.west, "/api/v1/namespaces/sample/pods"))
    apps = {
        (p["metadata"]["labels"]["app"], p["metadata"]["labels"].get("version"))
        for p in pods.values()
    }
    assert apps == {("helloworld", "v2"), ("sleep", None)}
    for pod in pods.values():
        proxy = pod["spec"]["containers"][-1]
        env = {e["name"]: e.get("value") for e in proxy["env"]}
        assert env["ISTIO_META_CLUSTER_ID"] == "west"
        assert env["ISTIO_META_NETWORK"] == "network2"
        assert env["ISTIO_META_MESH_ID"] == "mesh1"
        assert pod["status"]["podIP"].startswith("10.245.")


def test_istio_config_is_served_at_every_version_istio_serves(demo_mesh: LoadedDemo):
    for version in ("v1", "v1beta1", "v1alpha3"):
        path = f"/apis/networking.istio.io/{version}/namespaces/bookinfo/virtualservices"
        assert "reviews-broken" in _by_name(_items(demo_mesh.east, path))
    for version in ("v1", "v1beta1"):
        path = f"/apis/security.istio.io/{version}/namespaces/ecommerce/peerauthentications"
        assert "default" in _by_name(_items(demo_mesh.east, path))
    classes = _get(demo_mesh.east, "/apis/gateway.networking.k8s.io/v1/gatewayclasses")
    assert classes["items"] == []


def test_namespace_viewers_see_only_their_namespaces(demo_mesh: LoadedDemo):
    assert _get(demo_mesh.east, "/api/v1/namespaces/bookinfo/pods", persona="bob")["items"]
    assert _get(demo_mesh.west, "/api/v1/namespaces/sample/pods", persona="carol")["items"]
    with pytest.raises(ApiException) as denied:
        _get(demo_mesh.east, "/api/v1/namespaces/sample/pods", persona="bob")
    assert denied.value.status == 403


def test_reapplying_the_demo_changes_nothing(demo_mesh: LoadedDemo):
    def versions() -> dict[str, str]:
        paths = [
            "/api/v1/namespaces/bookinfo/pods",
            "/api/v1/namespaces/bookinfo/endpoints",
            "/apis/apps/v1/namespaces/bookinfo/deployments",
            "/apis/apps/v1/namespaces/bookinfo/replicasets",
            "/apis/networking.istio.io/v1/namespaces/bookinfo/virtualservices",
        ]
        return {
            f"{path}/{i['metadata']['name']}": i["metadata"]["resourceVersion"]
            for path in paths
            for i in _items(demo_mesh.east, path)
        }

    before = versions()
    with demo_mesh.east.api_client("admin") as client:
        report = apply_manifests(client, demo_paths("east"), cluster_name="east")
    assert report.generated == {}
    assert versions() == before


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifests.yaml"
    path.write_text(text)
    return path


def test_a_manifest_the_api_server_rejects_is_named_by_file_and_document(
    east_cluster: LocalCluster, fresh_namespace: Callable[..., str], tmp_path: Path
):
    namespace = fresh_namespace(east_cluster)
    path = _write(
        tmp_path,
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: fine, namespace: {namespace}}}\n"
        f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: bad, namespace: {namespace}}}\n"
        "spec: {ports: [{port: 99999}], selector: {app: bad}}\n",
    )
    with east_cluster.api_client("admin") as client, pytest.raises(ManifestError) as caught:
        apply_manifests(client, [path], cluster_name="east", with_istio_crds=False)
    message = str(caught.value)
    assert message.startswith(f"{path}, document 2: Service {namespace}/bad rejected:")
    assert "99999" in message


def test_an_unknown_kind_is_named_by_file_and_document(
    east_cluster: LocalCluster, fresh_namespace: Callable[..., str], tmp_path: Path
):
    namespace = fresh_namespace(east_cluster)
    path = _write(
        tmp_path,
        f"apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w, namespace: {namespace}}}\n",
    )
    with east_cluster.api_client("admin") as client, pytest.raises(ManifestError) as caught:
        apply_manifests(client, [path], cluster_name="east", with_istio_crds=False)
    assert str(caught.value).startswith(f"{path}, document 1: Widget is not served")


def _deployment(namespace: str, replicas: int) -> str:
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: idle, namespace: {namespace}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: idle}}}}
  template:
    metadata: {{labels: {{app: idle, version: v1}}}}
    spec: {{containers: [{{name: idle, image: busybox, ports: [{{containerPort: 8080}}]}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: idle, namespace: {namespace}}}
spec: {{ports: [{{port: 80, targetPort: 8080, name: http}}], selector: {{app: idle}}}}
"""


def test_replicas_zero_gives_no_pods_and_a_status_that_says_so(
    east_cluster: LocalCluster, fresh_namespace: Callable[..., str], tmp_path: Path
):
    namespace = fresh_namespace(east_cluster)
    with east_cluster.api_client("admin") as client:
        apply_manifests(
            client,
            [_write(tmp_path, _deployment(namespace, 2))],
            cluster_name="east",
            with_istio_crds=False,
        )
        assert len(_items(east_cluster, f"/api/v1/namespaces/{namespace}/pods")) == 2
        apply_manifests(
            client,
            [_write(tmp_path, _deployment(namespace, 0))],
            cluster_name="east",
            with_istio_crds=False,
        )
    assert _items(east_cluster, f"/api/v1/namespaces/{namespace}/pods") == []
    deployment = _get(east_cluster, f"/apis/apps/v1/namespaces/{namespace}/deployments/idle")
    assert deployment["spec"]["replicas"] == 0
    assert deployment["status"].get("replicas", 0) == 0
    assert deployment["status"].get("readyReplicas", 0) == 0
    assert _condition(deployment, "Available") == "True"
    endpoints = _get(east_cluster, f"/api/v1/namespaces/{namespace}/endpoints/idle")
    assert not endpoints.get("subsets")


def test_uninjected_namespace_gets_plain_pods_and_a_default_service_account(
    east_cluster: LocalCluster, fresh_namespace: Callable[..., str], tmp_path: Path
):
    namespace = fresh_namespace(east_cluster)
    with east_cluster.api_client("admin") as client:
        apply_manifests(
            client,
            [_write(tmp_path, _deployment(namespace, 1))],
            cluster_name="east",
            with_istio_crds=False,
        )
        accounts = kubernetes.client.CoreV1Api(client).list_namespaced_service_account(namespace)
    (pod,) = _items(east_cluster, f"/api/v1/namespaces/{namespace}/pods")
    assert [c["name"] for c in pod["spec"]["containers"]] == ["idle"]
    assert "security.istio.io/tlsMode" not in pod["metadata"]["labels"]
    assert "default" in {a.metadata.name for a in accounts.items}
    endpoints = _get(east_cluster, f"/api/v1/namespaces/{namespace}/endpoints/idle")
    assert endpoints["subsets"][0]["ports"][0]["port"] == 8080
