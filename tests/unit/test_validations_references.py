"""The workloads an Istio object refers to on its detail page (validations.references)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.unit.validation_builders import base, deployment, namespace, obj
from validations.model import ValidationContext
from validations.offline import context_from_objects, load_files
from validations.references import Ref, referenced_by, references_of

EAST = Path(__file__).resolve().parents[2] / "mesh" / "sim" / "demo" / "east"
INGRESS = {"istio": "ingressgateway", "app": "istio-ingressgateway"}


def mesh(*objs: dict[str, Any], **mesh_overrides: Any) -> ValidationContext:
    """bookinfo plus an ingress gateway in istio-system and one more labelled in edge."""
    loaded = context_from_objects(
        [
            *base(),
            namespace("edge"),
            deployment("istio-ingressgateway", ns="istio-system", labels=INGRESS),
            deployment("edge-gateway", ns="edge", labels={"istio": "ingressgateway"}),
            deployment("edge-app", ns="edge", labels={"app": "edge-app"}),
            *objs,
        ],
        mesh_overrides=mesh_overrides,
    )
    assert not loaded.problems, loaded.problems
    return loaded.context


def workloads_of(ctx: ValidationContext, kind: str, document: dict[str, Any]) -> list[Ref]:
    return [r for r in references_of(ctx, kind, document) if r[0] == "Workload"]


def gateway(**spec: Any) -> dict[str, Any]:
    return obj("Gateway", "gw", servers=[{"port": {"number": 80}, "hosts": ["*"]}], **spec)


def test_a_gateway_selector_is_a_flat_label_map_matched_in_every_namespace():
    gw = gateway(selector={"istio": "ingressgateway"})
    assert workloads_of(mesh(gw), "Gateway", gw) == [
        ("Workload", "edge", "edge-gateway"),
        ("Workload", "istio-system", "istio-ingressgateway"),
    ]


def test_a_gateway_selector_with_several_labels_needs_all_of_them():
    gw = gateway(selector=INGRESS)
    assert workloads_of(mesh(gw), "Gateway", gw) == [
        ("Workload", "istio-system", "istio-ingressgateway")
    ]


def test_a_gateway_scoped_to_its_namespace_refers_only_to_workloads_there():
    gw = obj("Gateway", "gw", ns="edge", selector={"istio": "ingressgateway"})
    ctx = mesh(gw, scope_gateway_to_namespace=True)
    assert workloads_of(ctx, "Gateway", gw) == [("Workload", "edge", "edge-gateway")]


def test_a_gateway_with_an_empty_selector_refers_to_no_workload():
    gw = gateway(selector={})
    assert workloads_of(mesh(gw), "Gateway", gw) == []


def test_a_gateway_without_a_selector_refers_to_no_workload():
    gw = gateway()
    assert workloads_of(mesh(gw), "Gateway", gw) == []


def test_a_gateway_selector_written_as_match_labels_refers_to_no_workload():
    gw = gateway(selector={"matchLabels": {"istio": "ingressgateway"}})
    assert workloads_of(mesh(gw), "Gateway", gw) == []


def test_an_authorization_policy_refers_to_the_workloads_its_match_labels_pick_in_its_namespace():
    ap = obj("AuthorizationPolicy", "ap", selector={"matchLabels": {"app": "reviews"}})
    edge_reviews = deployment("reviews-v1", ns="edge", labels={"app": "reviews"})
    assert workloads_of(mesh(ap, edge_reviews), "AuthorizationPolicy", ap) == [
        ("Workload", "bookinfo", "reviews-v1")
    ]


def test_a_namespace_wide_policy_lists_no_workload_references():
    policies = [
        ("AuthorizationPolicy", obj("AuthorizationPolicy", "no-selector")),
        ("AuthorizationPolicy", obj("AuthorizationPolicy", "empty", selector={})),
        (
            "PeerAuthentication",
            obj("PeerAuthentication", "empty-labels", selector={"matchLabels": {}}),
        ),
        ("Sidecar", obj("Sidecar", "default", egress=[{"hosts": ["./*"]}])),
    ]
    ctx = mesh(*(document for _, document in policies))
    for kind, document in policies:
        assert workloads_of(ctx, kind, document) == [], document["metadata"]["name"]


def test_a_policy_selector_missing_its_match_labels_refers_to_no_workload():
    ap = obj("AuthorizationPolicy", "flat", selector={"app": "reviews"})
    assert workloads_of(mesh(ap), "AuthorizationPolicy", ap) == []


def test_the_demo_ecommerce_gateway_refers_to_the_ingress_gateway_workload_only():
    loaded = load_files(sorted(str(p) for p in EAST.glob("*.yaml")))
    ctx = loaded.context
    document = next(
        d
        for d in ctx.of("Gateway")
        if (d["metadata"]["namespace"], d["metadata"]["name"]) == ("ecommerce", "ecommerce-gateway")
    )
    assert document["spec"]["selector"] == {"istio": "ingressgateway"}
    assert workloads_of(ctx, "Gateway", document) == [
        ("Workload", "istio-system", "istio-ingressgateway")
    ]
    ecommerce_ui = ("Workload", "ecommerce", "ecommerce-ui-v1")
    assert ("Gateway", "ecommerce", "ecommerce-gateway") not in referenced_by(ctx, ecommerce_ui)
