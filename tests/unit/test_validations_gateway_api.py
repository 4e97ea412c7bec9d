"""Gateway API codes (KIA14xx-16xx, GWAPI): a minimal input that raises each and a near miss."""

from __future__ import annotations

import pytest

from tests.unit.validation_builders import base, checks_of, flagged, namespace, obj, run


def listener(name="http", hostname="a.example.com", port=80, protocol="HTTP", allowed=None):
    out = {"name": name, "hostname": hostname, "port": port, "protocol": protocol}
    if allowed:
        out["allowedRoutes"] = {"namespaces": allowed}
    return out


def k8sgw(name="gw", ns="bookinfo", listeners=None, cls="istio", **spec):
    return obj(
        "K8sGateway",
        name,
        ns=ns,
        gatewayClassName=cls,
        listeners=listeners if listeners is not None else [listener()],
        **spec,
    )


def route(
    parent="gw", parent_ns=None, backend="reviews", backend_ns=None, kind="K8sHTTPRoute", name="r"
):
    parent_ref = {"name": parent, **({"namespace": parent_ns} if parent_ns else {})}
    backend_ref = {
        "name": backend,
        "port": 9080,
        **({"namespace": backend_ns} if backend_ns else {}),
    }
    return obj(
        kind, name, ns="front", parentRefs=[parent_ref], rules=[{"backendRefs": [backend_ref]}]
    )


FRONT = namespace("front", team="web")
GRANT = obj("K8sReferenceGrant", "allow")
GRANT["spec"] = {
    "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "front"}],
    "to": [{"group": "", "kind": "Service"}],
}

CASES = [
    (
        "route to a missing gateway",
        "KIA1401",
        "K8sHTTPRoute",
        "r",
        "front",
        [FRONT, route(parent="nothere", backend="x", backend_ns="bookinfo"), GRANT],
        [FRONT, k8sgw(ns="front"), route(backend="reviews", backend_ns="bookinfo"), GRANT],
    ),
    (
        "route to a gateway that admits only its namespace",
        "KIA1401",
        "K8sHTTPRoute",
        "r",
        "front",
        [FRONT, k8sgw(), route(parent_ns="bookinfo")],
        [
            FRONT,
            k8sgw(
                listeners=[
                    listener(
                        allowed={"from": "Selector", "selector": {"matchLabels": {"team": "web"}}}
                    )
                ]
            ),
            route(parent_ns="bookinfo"),
        ],
    ),
    (
        "grpc route to a missing gateway",
        "KIA1401",
        "K8sGRPCRoute",
        "r",
        "front",
        [FRONT, route(parent="nothere", kind="K8sGRPCRoute")],
        [FRONT, k8sgw(ns="front"), route(kind="K8sGRPCRoute")],
    ),
    (
        "route backend without reference grant",
        "KIA1402",
        "K8sHTTPRoute",
        "r",
        "front",
        [FRONT, k8sgw(ns="front"), route(backend_ns="bookinfo")],
        [FRONT, k8sgw(ns="front"), route(backend_ns="bookinfo"), GRANT],
    ),
    (
        "route backend missing",
        "KIA1402",
        "K8sHTTPRoute",
        "r",
        "front",
        [FRONT, k8sgw(ns="front"), route(backend="ghost", backend_ns="bookinfo"), GRANT],
        [FRONT, k8sgw(ns="front"), route(backend="ratings", backend_ns="bookinfo"), GRANT],
    ),
    (
        "gateways sharing a listener",
        "KIA1501",
        "K8sGateway",
        "gw",
        "bookinfo",
        [k8sgw(), k8sgw("gw2")],
        [k8sgw(), k8sgw("gw2", listeners=[listener(hostname="b.example.com")])],
    ),
    (
        "gateways sharing an address",
        "KIA1502",
        "K8sGateway",
        "gw",
        "bookinfo",
        [
            k8sgw(addresses=[{"value": "10.0.0.1"}]),
            k8sgw("gw2", listeners=[], addresses=[{"type": "IPAddress", "value": "10.0.0.1"}]),
        ],
        [
            k8sgw(addresses=[{"value": "10.0.0.1"}]),
            k8sgw("gw2", listeners=[], addresses=[{"value": "10.0.0.2"}]),
        ],
    ),
    (
        "listeners of one gateway sharing host and port",
        "KIA1503",
        "K8sGateway",
        "gw",
        "bookinfo",
        [k8sgw(listeners=[listener("a"), listener("b")])],
        [k8sgw(listeners=[listener("a"), listener("b", port=8080)])],
    ),
    (
        "unknown gateway class",
        "KIA1504",
        "K8sGateway",
        "gw",
        "bookinfo",
        [k8sgw(cls="nginx")],
        [k8sgw(cls="istio")],
    ),
    (
        "controller reports a failed condition",
        "GWAPI",
        "K8sGateway",
        "gw",
        "bookinfo",
        [
            k8sgw(
                status={
                    "conditions": [
                        {
                            "type": "Programmed",
                            "status": "False",
                            "reason": "Invalid",
                            "message": "no",
                        }
                    ]
                }
            )
        ],
        [
            k8sgw(
                status={
                    "conditions": [
                        {
                            "type": "Programmed",
                            "status": "False",
                            "reason": "Pending",
                            "message": "wait",
                        }
                    ]
                }
            )
        ],
    ),
    (
        "reference grant from a missing namespace",
        "KIA1601",
        "K8sReferenceGrant",
        "g",
        "bookinfo",
        [
            obj(
                "K8sReferenceGrant",
                "g",
                **{
                    "from": [{"kind": "HTTPRoute", "namespace": "nowhere"}],
                    "to": [{"kind": "Service"}],
                },
            )
        ],
        [
            obj(
                "K8sReferenceGrant",
                "g",
                **{
                    "from": [{"kind": "HTTPRoute", "namespace": "bookinfo"}],
                    "to": [{"kind": "Service"}],
                },
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("code", "kind", "name", "ns", "raising", "near_miss"),
    [pytest.param(*c[1:], id=f"{c[1]} {c[0]}") for c in CASES],
)
def test_code_is_raised_by_its_input_and_not_by_the_near_miss(
    code, kind, name, ns, raising, near_miss
):
    assert flagged(raising, kind, name, code, ns=ns)
    assert not flagged(near_miss, kind, name, code, ns=ns)


def test_gateway_api_paths_follow_kiali():
    status = {
        "conditions": [
            {"type": "Accepted", "status": "False", "reason": "Invalid", "message": "bad listener"}
        ],
        "listeners": [
            {
                "name": "http",
                "conditions": [
                    {"type": "Conflicted", "status": "True", "reason": "HostnameConflict"}
                ],
            }
        ],
    }
    results = run(
        *base(),
        FRONT,
        k8sgw(listeners=[listener("a"), listener("b")], status=status),
        route(parent="nothere", backend="a.b"),
    )
    assert checks_of(results, "K8sGateway", "gw") == [
        ("KIA1503", "error", "spec/listeners[0]/name"),
        ("KIA1503", "error", "spec/listeners[1]/name"),
        ("GWAPI", "warning", "status/conditions[0]/reason/Invalid"),
        ("GWAPI", "warning", "status/conditions[0]/type/HostnameConflict"),
    ]
    # KIA1503 is an error that leaves the Gateway valid; GWAPI invalidates it.
    assert not results[("K8sGateway", "bookinfo", "gw")].valid
    assert checks_of(results, "K8sHTTPRoute", "r", ns="front") == [
        ("KIA1401", "error", "spec/parentRefs[0]/name/nothere"),
        ("KIA1402", "error", "spec/rules[0]/backendRefs[0]/name"),
    ]


def test_kia1503_alone_leaves_the_gateway_valid():
    results = run(*base(), k8sgw(listeners=[listener("a"), listener("b")]))
    assert results[("K8sGateway", "bookinfo", "gw")].valid


def test_discovered_istio_gateway_classes_replace_the_defaults():
    gc = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "GatewayClass",
        "metadata": {"name": "mine"},
        "spec": {"controllerName": "istio.io/gateway-controller"},
    }
    assert flagged([gc, k8sgw(cls="istio")], "K8sGateway", "gw", "KIA1504")
    assert not flagged([gc, k8sgw(cls="mine")], "K8sGateway", "gw", "KIA1504")
