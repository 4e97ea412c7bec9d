"""A namespace's mTLS status (NS-02) from its PeerAuthentications and DestinationRules."""

from __future__ import annotations

from types import SimpleNamespace

from mesh.inventory.model import IstioObject
from mesh.inventory.tls import namespace_tls


def pa(namespace: str, name: str, mode: str, selector: dict | None = None) -> IstioObject:
    spec: dict = {"mtls": {"mode": mode}}
    if selector:
        spec["selector"] = {"matchLabels": selector}
    return IstioObject("PeerAuthentication", "security.istio.io/v1", namespace, name, spec)


def dr(namespace: str, host: str, mode: str) -> IstioObject:
    spec = {"host": host, "trafficPolicy": {"tls": {"mode": mode}}}
    return IstioObject("DestinationRule", "networking.istio.io/v1", namespace, "dr", spec)


def ns(name: str, *objects: IstioObject, meshed: bool = True) -> SimpleNamespace:
    workload = SimpleNamespace(has_sidecar=meshed, is_ambient=False)
    return SimpleNamespace(
        namespace=SimpleNamespace(name=name), workloads=[workload], istio_objects=list(objects)
    )


ROOT_STRICT = ns("istio-system", pa("istio-system", "default", "STRICT"))


def test_the_namespace_wins_over_the_mesh_and_the_mesh_over_istios_default():
    assert (
        namespace_tls(ns("shop", pa("shop", "default", "PERMISSIVE")), ROOT_STRICT).status
        == "permissive"
    )
    mesh = namespace_tls(ns("shop"), ROOT_STRICT)
    assert mesh.status == "strict" and "mesh-wide PeerAuthentication default" in mesh.reason
    default = namespace_tls(ns("shop"), ns("istio-system"))
    assert default.status == "permissive" and "Istio's default" in default.reason
    assert namespace_tls(ns("shop", pa("shop", "off", "DISABLE")), None).status == "disabled"


def test_exceptions_make_it_partial_and_a_namespace_outside_the_mesh_not_applicable():
    workload_exception = ns("shop", pa("shop", "legacy", "PERMISSIVE", {"app": "legacy"}))
    assert namespace_tls(workload_exception, ROOT_STRICT).status == "partial"
    tls_off = ns("shop", dr("shop", "*.shop.svc.cluster.local", "DISABLE"))
    partial = namespace_tls(tls_off, ROOT_STRICT)
    assert partial.status == "partial" and "disables TLS" in partial.reason
    assert namespace_tls(ns("plain", meshed=False), ROOT_STRICT).status == "n/a"
