"""The loader's pure parts: reading manifests, generated names, and the injection decision."""

import json
from pathlib import Path

import pytest

from mesh.sim.loader import (
    CRD_DIR,
    DEMO_DIR,
    ManifestError,
    MeshIdentity,
    canonical_service,
    inject_sidecar,
    injection_wanted,
    pod_ip,
    pod_suffix,
    pod_template_hash,
    read_manifests,
    replicaset_name,
)

ENABLED = {"istio-injection": "enabled"}
TEMPLATE = {"metadata": {"labels": {"app": "reviews", "version": "v2"}}, "spec": {"containers": []}}


def test_injection_follows_the_namespace_label():
    assert injection_wanted(ENABLED, {"labels": {"app": "x"}})
    assert not injection_wanted({}, {"labels": {"app": "x"}})
    assert not injection_wanted({"istio-injection": "disabled"}, {})


def test_a_revision_label_on_the_namespace_enables_injection():
    assert injection_wanted({"istio.io/rev": "canary"}, {})


def test_the_pod_can_opt_out_by_label_or_annotation():
    assert not injection_wanted(ENABLED, {"labels": {"sidecar.istio.io/inject": "false"}})
    assert not injection_wanted(ENABLED, {"annotations": {"sidecar.istio.io/inject": "false"}})


def test_pod_template_hash_is_stable_and_changes_with_the_template():
    changed = json.loads(json.dumps(TEMPLATE))
    changed["metadata"]["labels"]["version"] = "v3"
    assert pod_template_hash(TEMPLATE) == pod_template_hash(json.loads(json.dumps(TEMPLATE)))
    assert pod_template_hash(TEMPLATE) != pod_template_hash(changed)


def test_generated_names_use_kubernetes_alphabet_and_shape():
    name = replicaset_name("reviews-v2", TEMPLATE)
    suffix = name.removeprefix("reviews-v2-")
    assert len(suffix) == 10
    assert set(suffix) <= set("bcdfghjklmnpqrstvwxz2456789")
    assert len(pod_suffix(name, 0)) == 5
    assert pod_suffix(name, 0) != pod_suffix(name, 1)


def test_pod_ips_are_stable_per_pod_and_never_reused():
    taken: set[str] = set()
    first = pod_ip("east", "bookinfo", "details-v1-abc", taken)
    assert first.startswith("10.244.")
    assert pod_ip("east", "bookinfo", "details-v1-abc", set()) == first
    assert pod_ip("east", "bookinfo", "details-v1-abc", taken) != first
    assert pod_ip("west", "sample", "sleep-abc", set()).startswith("10.245.")


def test_canonical_service_prefers_istio_then_kubernetes_then_app_labels():
    assert canonical_service({"app": "reviews", "version": "v2"}, "reviews-v2") == ("reviews", "v2")
    assert canonical_service({}, "sleep") == ("sleep", "latest")
    assert canonical_service(
        {"app.kubernetes.io/name": "shop", "app": "x", "app.kubernetes.io/version": "3"}, "w"
    ) == ("shop", "3")


def test_injected_pod_carries_what_istios_injector_adds():
    pod = {
        "metadata": {"namespace": "bookinfo", "labels": {"app": "reviews", "version": "v2"}},
        "spec": {
            "containers": [{"name": "reviews", "image": "r", "ports": [{"containerPort": 9080}]}]
        },
    }
    mesh = MeshIdentity(cluster_id="east", network="network1", mesh_id="mesh1")
    injected = inject_sidecar(pod, mesh=mesh, workload_name="reviews-v2")

    labels = injected["metadata"]["labels"]
    assert labels["security.istio.io/tlsMode"] == "istio"
    assert labels["service.istio.io/canonical-name"] == "reviews"
    assert labels["service.istio.io/canonical-revision"] == "v2"
    status = json.loads(injected["metadata"]["annotations"]["sidecar.istio.io/status"])
    assert status["containers"] == ["istio-proxy"]
    assert status["initContainers"] == ["istio-init"]
    assert [c["name"] for c in injected["spec"]["containers"]] == ["reviews", "istio-proxy"]
    assert [c["name"] for c in injected["spec"]["initContainers"]] == ["istio-init"]
    proxy = injected["spec"]["containers"][1]
    assert proxy["image"] == "docker.io/istio/proxyv2:1.24.2"
    env = {e["name"]: e.get("value") for e in proxy["env"]}
    assert env["ISTIO_META_CLUSTER_ID"] == "east"
    assert env["ISTIO_META_NETWORK"] == "network1"
    assert env["ISTIO_META_MESH_ID"] == "mesh1"
    assert env["ISTIO_META_WORKLOAD_NAME"] == "reviews-v2"
    assert pod["spec"]["containers"] == [pod["spec"]["containers"][0]], "input left untouched"


def test_list_documents_are_flattened_and_empty_documents_skipped(tmp_path: Path):
    manifest = tmp_path / "list.yaml"
    manifest.write_text(
        "---\n---\napiVersion: v1\nkind: List\nitems:\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n"
    )
    assert [m.name for m in read_manifests([manifest])] == ["a", "b"]


def test_a_document_without_kind_is_reported_with_file_and_position(tmp_path: Path):
    manifest = tmp_path / "bad.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: v1\n"
        "metadata: {name: broken}\n"
    )
    with pytest.raises(ManifestError, match=r"bad\.yaml, document 2: missing kind") as caught:
        read_manifests([manifest])
    assert caught.value.position == 2


def test_invalid_yaml_is_reported_with_file_document_and_line(tmp_path: Path):
    manifest = tmp_path / "broken.yaml"
    manifest.write_text("kind: ConfigMap\n---\nkind: [unclosed\nmetadata: {}\n")
    with pytest.raises(ManifestError, match=r"broken\.yaml, document 2: invalid YAML at line"):
        read_manifests([manifest])


def test_demo_manifests_parse_and_name_the_workloads_the_telemetry_expects():
    east = read_manifests([DEMO_DIR / "east"])
    west = read_manifests([DEMO_DIR / "west"])
    deployments = {(m.namespace, m.name) for m in east if m.kind == "Deployment"}
    assert ("istio-system", "istiod") in deployments
    assert ("istio-system", "istio-ingressgateway") in deployments
    assert {n for ns, n in deployments if ns == "bookinfo"} == {
        "productpage-v1",
        "details-v1",
        "reviews-v1",
        "reviews-v2",
        "reviews-v3",
        "ratings-v1",
    }
    assert {n for ns, n in deployments if ns == "ecommerce"} == {
        "ecommerce-ui-v1",
        "product-catalog-v1",
        "product-catalog-v2",
        "product-inventory-v1",
        "profile-management-v1",
        "order-management-v1",
        "order-management-v2",
        "shipping-and-handling-v1",
        "contact-support-team-v1",
    }
    assert {n for ns, n in deployments if ns == "sample"} == {"helloworld-v1", "sleep"}
    assert {m.name for m in west if m.kind == "Deployment" and m.namespace == "sample"} == {
        "helloworld-v2",
        "sleep",
    }


def test_every_crd_is_structural_and_has_exactly_one_storage_version():
    for manifest in read_manifests([CRD_DIR]):
        versions = manifest.body["spec"]["versions"]
        assert sum(v["storage"] for v in versions) == 1, manifest.name
        for version in versions:
            schema = version["schema"]["openAPIV3Schema"]
            assert schema == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
