"""Service, Workload and WorkloadGroup codes: a minimal input that raises each and a near miss."""

from __future__ import annotations

import pytest

from tests.unit.validation_builders import deployment, flagged, namespace, obj, service
from validations.model import ValidationSettings

NO_IGNORES = ValidationSettings(ignore=())


def pod(name, ns="bookinfo", labels=None, annotations=None, containers=("app",)):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": labels or {"app": name},
            "annotations": annotations or {},
        },
        "spec": {"containers": [{"name": c} for c in containers]},
    }


def wg(name, sa=None, labels=None):
    spec = {"template": {"serviceAccount": sa} if sa else {}}
    if labels is not None:
        spec["metadata"] = {"labels": labels}
    return obj("WorkloadGroup", name, **spec)


AMBIENT = namespace("mesh", **{"istio.io/dataplane-mode": "ambient"})
PLAIN = namespace("plain")
WAYPOINT = obj("K8sGateway", "wp", ns="mesh", gatewayClassName="istio-waypoint", listeners=[])

CASES = [
    (
        "port name without protocol",
        "KIA0601",
        "Service",
        "web",
        "bookinfo",
        [service("web", ports=[{"name": "web", "port": 9080}]), deployment("web")],
        [service("web", ports=[{"name": "http-web", "port": 9080}]), deployment("web")],
    ),
    (
        "port name outside the mesh is not checked",
        "KIA0601",
        "Service",
        "web",
        "plain",
        [PLAIN, service("web", ns="plain", ports=[{"name": "web", "port": 9080}])],
        [
            PLAIN,
            service("web", ns="plain", ports=[{"name": "web", "port": 9080}]),
            deployment("web", ns="plain"),
        ],
    ),
    (
        "unknown appProtocol",
        "KIA0602",
        "Service",
        "web",
        "bookinfo",
        [
            service("web", ports=[{"name": "x", "appProtocol": "carrier-pigeon", "port": 9080}]),
            deployment("web"),
        ],
        [
            service("web", ports=[{"name": "x", "appProtocol": "HTTP", "port": 9080}]),
            deployment("web"),
        ],
    ),
    (
        "no container exposes the service port",
        "KIA0701",
        "Service",
        "web",
        "bookinfo",
        [service("web", ports=[{"name": "http", "port": 80}]), deployment("web", ports=[9080])],
        [
            service("web", ports=[{"name": "http", "port": 80, "targetPort": 9080}]),
            deployment("web", ports=[9080]),
        ],
    ),
    (
        "workload without authorization policy",
        "KIA1301",
        "Workload",
        "reviews-v1",
        "bookinfo",
        [],
        [obj("AuthorizationPolicy", "allow-all", ns="istio-system", rules=[{}])],
    ),
    (
        "ambient and sidecar labels",
        "KIA1311",
        "Workload",
        "app",
        "mesh",
        [
            namespace(
                "mesh", **{"istio.io/dataplane-mode": "ambient", "istio-injection": "enabled"}
            ),
            deployment("app", ns="mesh"),
        ],
        [AMBIENT, deployment("app", ns="mesh")],
    ),
    (
        "waypoint label outside ambient",
        "KIA1312",
        "Workload",
        "app",
        "plain",
        [
            PLAIN,
            deployment("app", ns="plain", labels={"app": "app", "istio.io/use-waypoint": "wp"}),
        ],
        [PLAIN, deployment("app", ns="plain", labels={"app": "app"})],
    ),
    (
        "waypoint label without waypoint",
        "KIA1313",
        "Workload",
        "app",
        "mesh",
        [
            AMBIENT,
            deployment("app", ns="mesh", labels={"app": "app", "istio.io/use-waypoint": "wp"}),
        ],
        [
            AMBIENT,
            WAYPOINT,
            deployment("app", ns="mesh", labels={"app": "app", "istio.io/use-waypoint": "wp"}),
        ],
    ),
    (
        "sidecar label with ambient-redirected pod",
        "KIA1314",
        "Workload",
        "p",
        "bookinfo",
        [pod("p", annotations={"ambient.istio.io/redirection": "enabled"})],
        [pod("p")],
    ),
    (
        "ambient label with a sidecar",
        "KIA1315",
        "Workload",
        "app",
        "mesh",
        [
            AMBIENT,
            deployment("app", ns="mesh", containers=[{"name": "app"}, {"name": "istio-proxy"}]),
        ],
        [AMBIENT, deployment("app", ns="mesh")],
    ),
    (
        "sidecar in an ambient namespace",
        "KIA1316",
        "Workload",
        "app",
        "mesh",
        [
            AMBIENT,
            deployment("app", ns="mesh", containers=[{"name": "app"}, {"name": "istio-proxy"}]),
        ],
        [
            PLAIN,
            deployment("app", ns="plain", containers=[{"name": "app"}, {"name": "istio-proxy"}]),
        ],
    ),
    (
        "L7 policy on ambient workload without waypoint",
        "KIA1317",
        "Workload",
        "app",
        "mesh",
        [
            AMBIENT,
            deployment("app", ns="mesh"),
            obj(
                "AuthorizationPolicy",
                "l7",
                ns="mesh",
                rules=[{"to": [{"operation": {"paths": ["/x"]}}]}],
            ),
        ],
        [
            AMBIENT,
            deployment("app", ns="mesh"),
            obj(
                "AuthorizationPolicy",
                "l4",
                ns="mesh",
                rules=[{"to": [{"operation": {"ports": ["80"]}}]}],
            ),
        ],
    ),
    (
        "workload group service account unused",
        "KIA1701",
        "WorkloadGroup",
        "vm",
        "bookinfo",
        [wg("vm", sa="ghost")],
        [wg("vm", sa="reviews")],
    ),
    (
        "workload groups with the same labels",
        "KIA1702",
        "WorkloadGroup",
        "vm",
        "bookinfo",
        [wg("vm", labels={"app": "vm"}), wg("vm2", labels={"app": "vm"})],
        [wg("vm", labels={"app": "vm"}), wg("vm2", labels={"app": "vm2"})],
    ),
]


@pytest.mark.parametrize(
    ("code", "kind", "name", "ns", "raising", "near_miss"),
    [pytest.param(*c[1:], id=f"{c[1]} {c[0]}") for c in CASES],
)
def test_code_is_raised_by_its_input_and_not_by_the_near_miss(
    code, kind, name, ns, raising, near_miss
):
    assert flagged(raising, kind, name, code, ns=ns, settings=NO_IGNORES)
    assert not flagged(near_miss, kind, name, code, ns=ns, settings=NO_IGNORES)


def test_kia1301_is_ignored_by_default():
    assert not flagged([], "Workload", "reviews-v1", "KIA1301")


def test_gateway_and_wizard_services_are_spared_where_kiali_spares_them():
    gateway_svc = service(
        "gw", ports=[{"name": "http", "port": 80}], labels={"istio": "ingressgateway"}
    )
    assert not flagged([gateway_svc, deployment("gw", ports=[8080])], "Service", "gw", "KIA0701")
    wizard = service("web", ports=[{"name": "web", "port": 9080}], labels={"kiali_wizard": "x"})
    assert not flagged([wizard, deployment("web")], "Service", "web", "KIA0601")
    udp = service("dns", ports=[{"name": "dns", "port": 53, "protocol": "UDP"}])
    assert not flagged([udp], "Service", "dns", "KIA0601")
