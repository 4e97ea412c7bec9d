"""Small builders for validation tests: each test states only the fields its check reads."""

from __future__ import annotations

import dataclasses
from typing import Any

from validations.engine import validate
from validations.model import ObjectValidation, ValidationSettings
from validations.offline import context_from_objects

API = {
    "VirtualService": "networking.istio.io/v1",
    "DestinationRule": "networking.istio.io/v1",
    "Gateway": "networking.istio.io/v1",
    "ServiceEntry": "networking.istio.io/v1",
    "Sidecar": "networking.istio.io/v1",
    "WorkloadEntry": "networking.istio.io/v1",
    "WorkloadGroup": "networking.istio.io/v1",
    "EnvoyFilter": "networking.istio.io/v1alpha3",
    "AuthorizationPolicy": "security.istio.io/v1",
    "PeerAuthentication": "security.istio.io/v1",
    "RequestAuthentication": "security.istio.io/v1",
    "Telemetry": "telemetry.istio.io/v1",
    "WasmPlugin": "extensions.istio.io/v1alpha1",
    "K8sGateway": "gateway.networking.k8s.io/v1",
    "K8sHTTPRoute": "gateway.networking.k8s.io/v1",
    "K8sGRPCRoute": "gateway.networking.k8s.io/v1",
    "K8sReferenceGrant": "gateway.networking.k8s.io/v1beta1",
    "GatewayClass": "gateway.networking.k8s.io/v1",
}


def obj(
    kind: str,
    name: str,
    ns: str | None = "bookinfo",
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """An Istio or Gateway API object; `K8s`-prefixed kinds become Gateway API objects."""
    meta: dict[str, Any] = {"name": name}
    if ns is not None:
        meta["namespace"] = ns
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    api_kind = kind.removeprefix("K8s")
    out: dict[str, Any] = {"apiVersion": API.get(kind, "v1"), "kind": api_kind, "metadata": meta}
    status = spec.pop("status", None)
    out["spec"] = spec
    if status is not None:
        out["status"] = status
    return out


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def service(
    name: str,
    ns: str = "bookinfo",
    selector: dict[str, str] | None = None,
    ports: list[dict[str, Any]] | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "labels": labels or {}}
    if annotations:
        meta["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {
            "selector": {"app": name} if selector is None else selector,
            "ports": ports if ports is not None else [{"name": "http", "port": 9080}],
        },
    }


def deployment(
    name: str,
    ns: str = "bookinfo",
    labels: dict[str, str] | None = None,
    sa: str = "default",
    ports: list[int] | None = None,
    annotations: dict[str, str] | None = None,
    containers: list[dict[str, Any]] | None = None,
    replicas: int = 1,
) -> dict[str, Any]:
    pod_labels = labels or {"app": name}
    meta: dict[str, Any] = {"name": name, "namespace": ns, "labels": pod_labels}
    if annotations:
        meta["annotations"] = annotations
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": pod_labels},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "serviceAccountName": sa,
                    "containers": containers
                    or [{"name": name, "ports": [{"containerPort": p} for p in (ports or [9080])]}],
                },
            },
        },
    }


def mesh_configmap(ns: str = "istio-system", **mesh: Any) -> dict[str, Any]:
    import yaml

    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "istio", "namespace": ns},
        "data": {"mesh": yaml.safe_dump(mesh)},
    }


def run(
    *objs: dict[str, Any],
    settings: ValidationSettings | None = None,
    context_fields: dict[str, Any] | None = None,
    **mesh_overrides: Any,
) -> dict[tuple[str, str, str], ObjectValidation]:
    """Validate the objects as the offline command would; context_fields patch the context."""
    loaded = context_from_objects(objs, settings=settings, mesh_overrides=mesh_overrides)
    assert not loaded.problems, loaded.problems
    context = dataclasses.replace(loaded.context, **(context_fields or {}))
    return {r.key: r for r in validate(context)}


def codes_of(
    results: dict[tuple[str, str, str], ObjectValidation],
    kind: str,
    name: str,
    ns: str = "bookinfo",
) -> set[str]:
    record = results.get((kind, ns, name))
    return {c.code for c in record.checks} if record else set()


def checks_of(
    results: dict[tuple[str, str, str], ObjectValidation],
    kind: str,
    name: str,
    ns: str = "bookinfo",
) -> list[tuple[str, str, str]]:
    record = results[(kind, ns, name)]
    return [(c.code, c.severity, c.path) for c in record.checks]


def base() -> list[dict[str, Any]]:
    """bookinfo with injection, reviews (v1) and ratings served and deployed, istio-system."""
    return [
        namespace("istio-system"),
        namespace("bookinfo", **{"istio-injection": "enabled"}),
        service("reviews"),
        deployment("reviews-v1", labels={"app": "reviews", "version": "v1"}, sa="reviews"),
        service("ratings"),
        deployment("ratings-v1", labels={"app": "ratings", "version": "v1"}, sa="ratings"),
    ]


def flagged(
    objs: list[dict[str, Any]],
    kind: str,
    name: str,
    code: str,
    ns: str = "bookinfo",
    settings: ValidationSettings | None = None,
    context_fields: dict[str, Any] | None = None,
    **mesh_overrides: Any,
) -> bool:
    """Does validating base() plus `objs` put `code` on the object?"""
    results = run(
        *base(), *objs, settings=settings, context_fields=context_fields, **mesh_overrides
    )
    return code in codes_of(results, kind, name, ns)
