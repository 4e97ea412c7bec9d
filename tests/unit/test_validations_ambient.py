"""Ambient codes (spec §6.4): a minimal input that raises each and a near miss."""

from __future__ import annotations

import pytest

from tests.unit.validation_builders import base, deployment, flagged, namespace, obj, run, service

AMBIENT = namespace("mesh", **{"istio.io/dataplane-mode": "ambient"})
ENROLLED = namespace(
    "mesh", **{"istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "wp"}
)
APP = [service("app", ns="mesh"), deployment("app", ns="mesh")]
ENROLLED_APP = [
    service("app", ns="mesh", labels={"istio.io/use-waypoint": "wp"}),
    deployment("app", ns="mesh"),
]
TO_APP = {"targetRefs": [{"kind": "Service", "group": "", "name": "app"}]}
L7_RULES = [{"to": [{"operation": {"methods": ["GET"]}}]}]


def policy(kind, name="p", ns="mesh", **spec):
    return obj(kind, name, ns=ns, **spec)


def vs(ns="mesh", hosts=("app.mesh",)):
    return obj(
        "VirtualService",
        "vs",
        ns=ns,
        hosts=list(hosts),
        http=[{"route": [{"destination": {"host": "app.mesh.svc.cluster.local"}}]}],
    )


def dr(ns="mesh", host="app.mesh.svc.cluster.local"):
    return obj(
        "DestinationRule",
        "dr",
        ns=ns,
        host=host,
        trafficPolicy={"outlierDetection": {"consecutive5xxErrors": 5}},
    )


CASES = [
    (
        "L7 AP targets not enrolled",
        "KIA0109",
        "AuthorizationPolicy",
        "mesh",
        [AMBIENT, *APP, policy("AuthorizationPolicy", rules=L7_RULES, **TO_APP)],
        [AMBIENT, *ENROLLED_APP, policy("AuthorizationPolicy", rules=L7_RULES, **TO_APP)],
    ),
    (
        "L7 AP without targetRefs",
        "KIA0110",
        "AuthorizationPolicy",
        "mesh",
        [AMBIENT, *APP, policy("AuthorizationPolicy", rules=L7_RULES)],
        [
            AMBIENT,
            *APP,
            policy("AuthorizationPolicy", rules=[{"from": [{"source": {"principals": ["*"]}}]}]),
        ],
    ),
    (
        "RA targets not enrolled",
        "KIA1110",
        "RequestAuthentication",
        "mesh",
        [AMBIENT, *APP, policy("RequestAuthentication", **TO_APP)],
        [AMBIENT, *ENROLLED_APP, policy("RequestAuthentication", **TO_APP)],
    ),
    (
        "RA without targetRefs",
        "KIA1115",
        "RequestAuthentication",
        "mesh",
        [AMBIENT, *APP, policy("RequestAuthentication")],
        [AMBIENT, *APP, policy("RequestAuthentication", **TO_APP)],
    ),
    (
        "WasmPlugin targets not enrolled",
        "KIA1111",
        "WasmPlugin",
        "mesh",
        [AMBIENT, *APP, policy("WasmPlugin", **TO_APP)],
        [AMBIENT, *ENROLLED_APP, policy("WasmPlugin", **TO_APP)],
    ),
    (
        "WasmPlugin without targetRefs",
        "KIA1116",
        "WasmPlugin",
        "mesh",
        [AMBIENT, *APP, policy("WasmPlugin")],
        [AMBIENT, *APP, policy("WasmPlugin", **TO_APP)],
    ),
    (
        "L7 Telemetry targets not enrolled",
        "KIA1112",
        "Telemetry",
        "mesh",
        [AMBIENT, *APP, policy("Telemetry", tracing=[{"randomSamplingPercentage": 10}])],
        [ENROLLED, *APP, policy("Telemetry", tracing=[{"randomSamplingPercentage": 10}])],
    ),
    (
        "L7 Telemetry without targetRefs",
        "KIA1117",
        "Telemetry",
        "mesh",
        [AMBIENT, *APP, policy("Telemetry", accessLogging=[{"providers": [{"name": "envoy"}]}])],
        [AMBIENT, *APP, policy("Telemetry", metrics=[{"providers": [{"name": "prometheus"}]}])],
    ),
    (
        "L7 VS in a non-enrolled ambient namespace",
        "KIA1109",
        "VirtualService",
        "mesh",
        [AMBIENT, vs(hosts=["api.example.com"])],
        [ENROLLED, vs(hosts=["api.example.com"])],
    ),
    (
        "L7 VS to a non-enrolled service",
        "KIA1113",
        "VirtualService",
        "mesh",
        [AMBIENT, *APP, vs()],
        [AMBIENT, *ENROLLED_APP, vs()],
    ),
    (
        "L7 VS outside its service's namespace",
        "KIA1114",
        "VirtualService",
        "bookinfo",
        [AMBIENT, *ENROLLED_APP, vs(ns="bookinfo")],
        [AMBIENT, *ENROLLED_APP, vs()],
    ),
    (
        "L7 DR in a non-enrolled ambient namespace",
        "KIA0210",
        "DestinationRule",
        "mesh",
        [AMBIENT, dr(host="api.example.com")],
        [ENROLLED, dr(host="api.example.com")],
    ),
    (
        "L7 DR to a non-enrolled service",
        "KIA0211",
        "DestinationRule",
        "mesh",
        [AMBIENT, *APP, dr()],
        [AMBIENT, *ENROLLED_APP, dr()],
    ),
    (
        "L7 DR outside its service's namespace",
        "KIA0212",
        "DestinationRule",
        "bookinfo",
        [AMBIENT, *ENROLLED_APP, dr(ns="bookinfo")],
        [AMBIENT, *ENROLLED_APP, dr()],
    ),
]


@pytest.mark.parametrize(
    ("code", "kind", "ns", "raising", "near_miss"),
    [pytest.param(*c[1:], id=f"{c[1]} {c[0]}") for c in CASES],
)
def test_code_is_raised_by_its_input_and_not_by_the_near_miss(code, kind, ns, raising, near_miss):
    name = "vs" if kind == "VirtualService" else "dr" if kind == "DestinationRule" else "p"
    assert flagged(raising, kind, name, code, ns=ns)
    assert not flagged(near_miss, kind, name, code, ns=ns)


def test_telemetry_and_wasm_plugins_get_records_only_in_ambient_namespaces():
    results = run(*base(), AMBIENT, policy("Telemetry"), policy("WasmPlugin", "w", ns="bookinfo"))
    assert ("Telemetry", "mesh", "p") in results
    assert ("WasmPlugin", "bookinfo", "w") not in results


def test_ambient_checks_leave_sidecar_namespaces_alone():
    assert not flagged(
        [policy("AuthorizationPolicy", ns="bookinfo", rules=L7_RULES)],
        "AuthorizationPolicy",
        "p",
        "KIA0110",
    )
