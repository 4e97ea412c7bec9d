"""Snapshots assembled from raw lists: owners, replicas, labels, services, Istio references."""

from __future__ import annotations

from kiali_site.config import IstioLabels, KialiConfig, KubernetesConfig
from mesh.inventory.build import RawCluster, build_snapshot
from tests import inventory_factory as f


def build(raw: RawCluster, **overrides):
    return build_snapshot("east", raw, KialiConfig(**overrides))


def test_pods_reach_their_deployment_through_the_replicaset():
    raw = RawCluster(namespaces=[f.namespace("shop", **{"istio-injection": "enabled"})])
    f.add_versioned_app(raw, "shop", "catalog", ["v1", "v2"])
    snapshot = build(raw)
    shop = snapshot.namespaces["shop"]
    assert [w.name for w in shop.workloads] == ["catalog-v1", "catalog-v2"]
    assert all(w.kind == "Deployment" and len(w.pods) == 1 for w in shop.workloads)
    assert shop.namespace.injection == "enabled" and shop.namespace.mode == "Sidecar"
    (app,) = shop.apps
    assert app.labels == {"app": "catalog", "version": "v1,v2"}
    (svc,) = shop.services
    assert svc.workloads == ["catalog-v1", "catalog-v2"]
    assert app.services == ["catalog"]


def test_orphan_replicasets_and_bare_pods_are_workloads_and_excluded_kinds_are_not():
    raw = RawCluster(namespaces=[f.namespace("ns")])
    raw.workloads["ReplicaSet"] = [f.replicaset("ns", "lonely", None)]
    raw.workloads["Job"] = [
        {"metadata": {"name": "batch", "namespace": "ns"}, "spec": {}, "status": {"active": 1}}
    ]
    raw.pods = [
        f.pod("ns", "lonely-1", {"app": "lonely"}, ("ReplicaSet", "lonely")),
        f.pod("ns", "debug", {"run": "debug"}, None, sidecar=False),
        f.pod("ns", "batch-1", {"job": "x"}, ("Job", "batch")),
    ]
    snapshot = build(raw)
    kinds = {w.name: w.kind for w in snapshot.namespaces["ns"].workloads}
    assert kinds == {"lonely": "ReplicaSet", "debug": "Pod"}  # Job is excluded by default
    debug = snapshot.namespaces["ns"].workload("debug")
    assert debug.missing_sidecar and (debug.desired_replicas, debug.available_replicas) == (1, 1)
    with_jobs = build(raw, kubernetes_config=KubernetesConfig(excluded_workloads=[]))
    job = with_jobs.namespaces["ns"].workload("batch")
    assert job.kind == "Job" and job.pods[0].name == "batch-1"


def test_app_and_version_labels_follow_kiali_precedence_or_the_configured_names():
    raw = RawCluster(namespaces=[f.namespace("ns")])
    labels = {"app": "a", "app.kubernetes.io/name": "b", "version": "v1", "team-version": "blue"}
    raw.workloads["Deployment"] = [f.deployment("ns", "w", labels)]
    w = build(raw).namespaces["ns"].workload("w")
    assert (w.app, w.version) == ("b", "v1")
    custom = build(
        raw, istio_labels=IstioLabels(app_label_name="app", version_label_name="team-version")
    )
    w = custom.namespaces["ns"].workload("w")
    assert (w.app, w.version) == ("a", "blue")


def test_istio_objects_are_linked_to_services_workloads_and_apps():
    raw = RawCluster(namespaces=[f.namespace("shop"), f.namespace("istio-system")])
    f.add_versioned_app(raw, "shop", "ui", ["v1"])
    raw.workloads["Deployment"].append(
        f.deployment(
            "istio-system",
            "istio-ingressgateway",
            {"app": "istio-ingressgateway", "istio": "ingressgateway"},
        )
    )
    raw.istio = {
        "Gateway": [
            {
                "metadata": {"name": "gw", "namespace": "shop"},
                "spec": {"selector": {"istio": "ingressgateway"}},
            }
        ],
        "VirtualService": [
            {
                "metadata": {"name": "routes", "namespace": "shop"},
                "spec": {
                    "hosts": ["*"],
                    "gateways": ["gw"],
                    "http": [{"route": [{"destination": {"host": "ui"}}]}],
                },
            },
            {"metadata": {"name": "elsewhere", "namespace": "other"}, "spec": {"hosts": ["ui"]}},
        ],
        "DestinationRule": [
            {
                "metadata": {"name": "ui", "namespace": "shop"},
                "spec": {"host": "ui.shop.svc.cluster.local"},
            }
        ],
        "AuthorizationPolicy": [
            {
                "metadata": {"name": "allow", "namespace": "shop"},
                "spec": {"selector": {"matchLabels": {"app": "ui"}}},
            }
        ],
    }
    snapshot = build(raw)
    service_refs = {(r.kind, r.name) for r in snapshot.namespaces["shop"].service("ui").istio_refs}
    assert service_refs == {
        ("VirtualService", "routes"),
        ("Gateway", "gw"),
        ("DestinationRule", "ui"),
    }
    app_refs = {(r.kind, r.name) for r in snapshot.namespaces["shop"].app("ui").istio_refs}
    assert ("AuthorizationPolicy", "allow") in app_refs and ("Gateway", "gw") in app_refs
    gateway = snapshot.namespaces["istio-system"].workload("istio-ingressgateway")
    assert gateway.is_gateway and ("Gateway", "gw") in {
        (r.kind, r.name) for r in gateway.istio_refs
    }
    assert snapshot.namespaces["istio-system"].namespace.is_control_plane
