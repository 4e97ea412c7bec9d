"""Every VirtualService, DestinationRule, Gateway, ServiceEntry and Sidecar code: a minimal
input that raises it and a near miss that does not."""

from __future__ import annotations

import pytest

from tests.unit.validation_builders import base, checks_of, flagged, obj, run
from validations.model import ValidationSettings

NS_WIDE = "*.bookinfo.svc.cluster.local"


def vs(name="vs", hosts=("reviews",), dest=None, **spec):
    route = dest if dest is not None else [{"destination": {"host": "reviews"}}]
    return obj("VirtualService", name, hosts=list(hosts), http=[{"route": route}], **spec)


def dr(name="dr", host="reviews", ns="bookinfo", **spec):
    return obj("DestinationRule", name, ns=ns, host=host, **spec)


def tls(mode):
    return {"tls": {"mode": mode}}


def pa(name="default", ns="bookinfo", **spec):
    return obj("PeerAuthentication", name, ns=ns, **spec)


def gw(name, host="a.example.com", port=80, selector=None, ns="bookinfo"):
    server = {"port": {"number": port, "name": "http", "protocol": "HTTP"}, "hosts": [host]}
    return obj("Gateway", name, ns=ns, selector=selector or {"app": "reviews"}, servers=[server])


def se(name, host="api.example.com", port=443, protocol="HTTPS", **spec):
    return obj(
        "ServiceEntry",
        name,
        hosts=[host],
        ports=[{"number": port, "name": "p", "protocol": protocol}],
        **spec,
    )


NO_AUTO = {"enable_auto_mtls": False}

# (id, code, kind, name, raising objects, near-miss objects, mesh overrides)
CASES = [
    (
        "vs unknown destination host",
        "KIA1101",
        "VirtualService",
        "vs",
        [vs(dest=[{"destination": {"host": "ghost"}}])],
        [vs()],
        {},
    ),
    (
        "vs destination known through a ServiceEntry",
        "KIA1101",
        "VirtualService",
        "vs",
        [vs(dest=[{"destination": {"host": "api.example.com"}}])],
        [vs(dest=[{"destination": {"host": "api.example.com"}}]), se("api")],
        {},
    ),
    (
        "vs missing gateway",
        "KIA1102",
        "VirtualService",
        "vs",
        [vs(gateways=["missing"])],
        [vs(gateways=["gw"]), gw("gw")],
        {},
    ),
    (
        "vs single destination weight",
        "KIA1104",
        "VirtualService",
        "vs",
        [vs(dest=[{"destination": {"host": "reviews"}, "weight": 50}])],
        [vs(dest=[{"destination": {"host": "reviews"}, "weight": 100}])],
        {},
    ),
    (
        "vs repeated host and subset",
        "KIA1105",
        "VirtualService",
        "vs",
        [vs(dest=[{"destination": {"host": "reviews"}, "weight": 50}] * 2)],
        [
            vs(
                dest=[
                    {"destination": {"host": "reviews"}, "weight": 50},
                    {"destination": {"host": "ratings"}, "weight": 50},
                ]
            )
        ],
        {},
    ),
    (
        "two vs for one host",
        "KIA1106",
        "VirtualService",
        "vs",
        [vs(), vs("other")],
        [vs(), vs("other", hosts=["ratings"])],
        {},
    ),
    (
        "wildcard vs against another host",
        "KIA1106",
        "VirtualService",
        "vs",
        [vs(hosts=["*"]), vs("other")],
        [vs(hosts=["*"]), vs("other", gateways=["gw"]), gw("gw")],
        {},
    ),
    (
        "vs subset not defined",
        "KIA1107",
        "VirtualService",
        "vs",
        [
            vs(dest=[{"destination": {"host": "reviews", "subset": "v9"}}]),
            dr(subsets=[{"name": "v1", "labels": {"version": "v1"}}]),
        ],
        [
            vs(dest=[{"destination": {"host": "reviews", "subset": "v1"}}]),
            dr(subsets=[{"name": "v1", "labels": {"version": "v1"}}]),
        ],
        {},
    ),
    (
        "vs subset defined by a wildcard DR",
        "KIA1107",
        "VirtualService",
        "vs",
        [vs(dest=[{"destination": {"host": "reviews", "subset": "v1"}}])],
        [
            vs(dest=[{"destination": {"host": "reviews", "subset": "v1"}}]),
            dr(host="*.local", subsets=[{"name": "v1", "labels": {"version": "v1"}}]),
        ],
        {},
    ),
    (
        "vs old gateway naming",
        "KIA1108",
        "VirtualService",
        "vs",
        [vs(gateways=["gw.bookinfo"]), gw("gw")],
        [vs(gateways=["bookinfo/gw"]), gw("gw")],
        {},
    ),
    (
        "vs exportTo missing namespace",
        "KIA0005",
        "VirtualService",
        "vs",
        [vs(exportTo=["nowhere"])],
        [vs(exportTo=[".", "*", "bookinfo"])],
        {},
    ),
    (
        "two DRs for one host",
        "KIA0201",
        "DestinationRule",
        "dr",
        [dr(), dr("other")],
        [dr(), dr("other", host="ratings")],
        {},
    ),
    (
        "two DRs with disjoint subsets",
        "KIA0201",
        "DestinationRule",
        "dr",
        [
            dr(subsets=[{"name": "v1", "labels": {"version": "v1"}}]),
            dr("other", subsets=[{"name": "v1", "labels": {"version": "v1"}}]),
        ],
        [
            dr(subsets=[{"name": "v1", "labels": {"version": "v1"}}]),
            dr("other", subsets=[{"name": "v2"}]),
        ],
        {},
    ),
    (
        "DR host in no registry",
        "KIA0202",
        "DestinationRule",
        "dr",
        [dr(host="ghost")],
        [dr(host="reviews")],
        {},
    ),
    (
        "DR host named after a workload app",
        "KIA0202",
        "DestinationRule",
        "dr",
        [dr(host="reviews-app")],
        [dr(host="reviews")],
        {},
    ),
    (
        "DR subset selects no pod",
        "KIA0203",
        "DestinationRule",
        "dr",
        [dr(subsets=[{"name": "v9", "labels": {"version": "v9"}}])],
        [dr(subsets=[{"name": "v1", "labels": {"version": "v1"}}])],
        {},
    ),
    (
        "DR overridden by mesh-wide mTLS DR",
        "KIA0204",
        "DestinationRule",
        "dr",
        [dr(), dr("mesh", host="*.local", ns="istio-system", trafficPolicy=tls("ISTIO_MUTUAL"))],
        [
            dr(trafficPolicy=tls("ISTIO_MUTUAL")),
            dr("mesh", host="*.local", ns="istio-system", trafficPolicy=tls("ISTIO_MUTUAL")),
        ],
        {},
    ),
    (
        "mesh mTLS DR without mesh PA",
        "KIA0205",
        "DestinationRule",
        "mesh",
        [dr("mesh", host="*.local", ns="istio-system", trafficPolicy=tls("ISTIO_MUTUAL"))],
        [
            dr("mesh", host="*.local", ns="istio-system", trafficPolicy=tls("ISTIO_MUTUAL")),
            pa(ns="istio-system", mtls={"mode": "STRICT"}),
        ],
        NO_AUTO,
    ),
    (
        "namespace mTLS DR without PA",
        "KIA0206",
        "DestinationRule",
        "dr",
        [dr(host=NS_WIDE, trafficPolicy=tls("ISTIO_MUTUAL"))],
        [
            dr(host=NS_WIDE, trafficPolicy=tls("ISTIO_MUTUAL"), exportTo=["."]),
            pa(mtls={"mode": "PERMISSIVE"}),
        ],
        NO_AUTO,
    ),
    (
        "namespace DR disabling mTLS under STRICT PA",
        "KIA0207",
        "DestinationRule",
        "dr",
        [dr(host=NS_WIDE, trafficPolicy=tls("DISABLE")), pa(mtls={"mode": "STRICT"})],
        [dr(host=NS_WIDE, trafficPolicy=tls("DISABLE")), pa(mtls={"mode": "PERMISSIVE"})],
        {},
    ),
    (
        "mesh DR disabling mTLS under STRICT mesh PA",
        "KIA0208",
        "DestinationRule",
        "mesh",
        [
            dr("mesh", host="*.local", ns="istio-system", trafficPolicy=tls("DISABLE")),
            pa(ns="istio-system", mtls={"mode": "STRICT"}),
        ],
        [
            dr("mesh", host="*.local", ns="istio-system", trafficPolicy=tls("DISABLE")),
            pa(ns="istio-system", mtls={"mode": "PERMISSIVE"}),
        ],
        {},
    ),
    (
        "namespace DR disabling mTLS under STRICT mesh PA",
        "KIA0208",
        "DestinationRule",
        "dr",
        [
            dr(host=NS_WIDE, trafficPolicy=tls("DISABLE")),
            pa(ns="istio-system", mtls={"mode": "STRICT"}),
        ],
        [
            dr(host=NS_WIDE, trafficPolicy=tls("DISABLE")),
            pa(ns="istio-system", mtls={"mode": "STRICT"}),
            pa(mtls={"mode": "DISABLE"}),
        ],
        {},
    ),
    (
        "DR subset without labels",
        "KIA0209",
        "DestinationRule",
        "dr",
        [dr(subsets=[{"name": "all"}])],
        [dr(subsets=[{"name": "v1", "labels": {"version": "v1"}}])],
        {},
    ),
    (
        "DR exportTo missing namespace",
        "KIA0005",
        "DestinationRule",
        "dr",
        [dr(exportTo=["nowhere"])],
        [dr(exportTo=["bookinfo"])],
        {},
    ),
    (
        "gateways sharing host and port",
        "KIA0301",
        "Gateway",
        "a",
        [gw("a"), gw("b")],
        [gw("a"), gw("b", port=443)],
        {},
    ),
    (
        "gateway wildcard covering a host",
        "KIA0301",
        "Gateway",
        "a",
        [gw("a", host="*.example.com"), gw("b")],
        [gw("a", host="*.example.org"), gw("b")],
        {},
    ),
    (
        "gateway hosts in different target namespaces",
        "KIA0301",
        "Gateway",
        "a",
        [gw("a", host="bookinfo/x.com"), gw("b", host="bookinfo/x.com")],
        [gw("a", host="bookinfo/x.com"), gw("b", host="other/x.com")],
        {},
    ),
    (
        "gateway selector matches no workload",
        "KIA0302",
        "Gateway",
        "a",
        [gw("a", selector={"istio": "nothing"})],
        [gw("a")],
        {},
    ),
    (
        "service entries duplicating host and port",
        "KIA1211",
        "ServiceEntry",
        "a",
        [se("a"), se("b")],
        [se("a"), se("b", port=8443)],
        {},
    ),
    (
        "service entries disagreeing on protocol",
        "KIA1212",
        "ServiceEntry",
        "a",
        [se("a"), se("b", protocol="TLS")],
        [se("a"), se("b")],
        {},
    ),
    (
        "service entry exportTo missing namespace",
        "KIA0005",
        "ServiceEntry",
        "a",
        [se("a", exportTo=["~"])],
        [se("a", exportTo=["."])],
        {},
    ),
    (
        "sidecar egress host unknown",
        "KIA1004",
        "Sidecar",
        "sc",
        [obj("Sidecar", "sc", egress=[{"hosts": ["./ghost"]}])],
        [obj("Sidecar", "sc", egress=[{"hosts": ["./reviews", "istio-system/*"]}])],
        {},
    ),
    (
        "root sidecar with a selector",
        "KIA1006",
        "Sidecar",
        "sc",
        [obj("Sidecar", "sc", ns="istio-system", workloadSelector={"labels": {"app": "x"}})],
        [obj("Sidecar", "sc", ns="istio-system")],
        {},
    ),
    (
        "sidecar outbound policy without mode",
        "KIA1007",
        "Sidecar",
        "sc",
        [obj("Sidecar", "sc", outboundTrafficPolicy={})],
        [obj("Sidecar", "sc", outboundTrafficPolicy={"mode": "ALLOW_ANY"})],
        {},
    ),
    (
        "two selector-less sidecars",
        "KIA0002",
        "Sidecar",
        "sc",
        [obj("Sidecar", "sc"), obj("Sidecar", "sc2")],
        [
            obj("Sidecar", "sc"),
            obj("Sidecar", "sc2", workloadSelector={"labels": {"app": "reviews"}}),
        ],
        {},
    ),
    (
        "two sidecars selecting one workload",
        "KIA0003",
        "Sidecar",
        "sc",
        [
            obj("Sidecar", "sc", workloadSelector={"labels": {"app": "reviews"}}),
            obj("Sidecar", "sc2", workloadSelector={"labels": {"version": "v1", "app": "reviews"}}),
        ],
        [
            obj("Sidecar", "sc", workloadSelector={"labels": {"app": "reviews"}}),
            obj("Sidecar", "sc2", workloadSelector={"labels": {"app": "ratings"}}),
        ],
        {},
    ),
    (
        "sidecar selector matches nothing",
        "KIA0004",
        "Sidecar",
        "sc",
        [obj("Sidecar", "sc", workloadSelector={"labels": {"app": "nothing"}})],
        [obj("Sidecar", "sc", workloadSelector={"labels": {"app": "reviews"}})],
        {},
    ),
]


@pytest.mark.parametrize(
    ("code", "kind", "name", "raising", "near_miss", "mesh"),
    [pytest.param(*c[1:], id=f"{c[1]} {c[0]}") for c in CASES],
)
def test_code_is_raised_by_its_input_and_not_by_the_near_miss(
    code, kind, name, raising, near_miss, mesh
):
    ns = (
        "istio-system"
        if any(
            o["metadata"].get("namespace") == "istio-system" and o["metadata"]["name"] == name
            for o in raising
        )
        else "bookinfo"
    )
    assert flagged(raising, kind, name, code, ns=ns, **mesh)
    assert not flagged(near_miss, kind, name, code, ns=ns, **mesh)


def test_unknown_hosts_are_errors_only_when_the_mesh_is_registry_only():
    objs = [vs(dest=[{"destination": {"host": "ghost"}}]), dr(host="ghost")]
    allow = run(*base(), *objs)
    strict = run(*base(), *objs, outbound_traffic_policy="REGISTRY_ONLY")
    path = "spec/http[0]/route[0]/destination/host"
    assert ("KIA1101", "warning", path) in checks_of(allow, "VirtualService", "vs")
    assert ("KIA1101", "error", path) in checks_of(strict, "VirtualService", "vs")
    assert ("KIA0202", "error", "spec/host") in checks_of(strict, "DestinationRule", "dr")
    assert not allow[("VirtualService", "bookinfo", "vs")].valid


def test_unselected_subset_is_an_error_only_when_a_virtual_service_routes_to_it():
    subset = [{"name": "v9", "labels": {"version": "v9"}}]
    quiet = run(*base(), dr(subsets=subset))
    routed = run(
        *base(), dr(subsets=subset), vs(dest=[{"destination": {"host": "reviews", "subset": "v9"}}])
    )
    assert checks_of(quiet, "DestinationRule", "dr") == [("KIA0203", "info", "spec/subsets[0]")]
    assert quiet[("DestinationRule", "bookinfo", "dr")].valid
    assert checks_of(routed, "DestinationRule", "dr") == [("KIA0203", "error", "spec/subsets[0]")]
    assert not routed[("DestinationRule", "bookinfo", "dr")].valid


def test_unlabelled_subset_is_informational_when_a_labelled_sibling_matched():
    results = run(
        *base(), dr(subsets=[{"name": "v1", "labels": {"version": "v1"}}, {"name": "all"}])
    )
    assert checks_of(results, "DestinationRule", "dr") == [("KIA0209", "info", "spec/subsets[1]")]


def test_match_level_gateway_reference_uses_kialis_paths():
    spec_http = [
        {"match": [{"gateways": ["gw.bookinfo"]}], "route": [{"destination": {"host": "reviews"}}]}
    ]
    results = run(*base(), obj("VirtualService", "vs", hosts=["reviews"], http=spec_http))
    assert checks_of(results, "VirtualService", "vs") == [
        ("KIA1108", "info", "spec/gateways[0]"),
        ("KIA1102", "error", "spec/http[0]/match/gateways[0]"),
    ]


def test_repeated_destinations_are_each_flagged_at_kialis_host_path():
    results = run(*base(), vs(dest=[{"destination": {"host": "reviews"}, "weight": 50}] * 2))
    assert checks_of(results, "VirtualService", "vs") == [
        ("KIA1105", "warning", "spec/http[0]/route[0]/host"),
        ("KIA1105", "warning", "spec/http[0]/route[1]/host"),
    ]


def test_clashing_objects_reference_each_other():
    results = run(*base(), gw("a"), gw("b"), dr(), dr("other"), vs(), vs("other"))
    assert results[("Gateway", "bookinfo", "a")].references == [("Gateway", "bookinfo", "b")]
    assert results[("DestinationRule", "bookinfo", "other")].references == [
        ("DestinationRule", "bookinfo", "dr")
    ]
    assert results[("VirtualService", "bookinfo", "vs")].references == [
        ("VirtualService", "bookinfo", "other")
    ]


def test_skip_wildcard_gateway_hosts_stops_bare_star_clashes():
    objs = [gw("a", host="*"), gw("b")]
    assert flagged(objs, "Gateway", "a", "KIA0301")
    skip = ValidationSettings(skip_wildcard_gateway_hosts=True)
    assert not flagged(objs, "Gateway", "a", "KIA0301", settings=skip)


def test_kiali_reports_explicit_registry_only_sidecar_policy_too():
    assert flagged(
        [obj("Sidecar", "sc", outboundTrafficPolicy={"mode": "REGISTRY_ONLY"})],
        "Sidecar",
        "sc",
        "KIA1007",
    )


def test_subset_defined_only_in_a_dr_exported_elsewhere_is_missing_from_other_viewpoints():
    # The VS is visible everywhere, the DR only in bookinfo: from other namespaces the subset
    # is undefined, and Kiali unions the viewpoints (spec §2.3).
    objs = [
        obj("Namespace", "other", ns=None),
        vs(dest=[{"destination": {"host": "reviews", "subset": "v1"}}]),
        dr(exportTo=["."], subsets=[{"name": "v1", "labels": {"version": "v1"}}]),
    ]
    objs[0] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}}
    assert flagged(objs, "VirtualService", "vs", "KIA1107")
    objs[1]["spec"]["exportTo"] = ["."]
    assert not flagged(objs, "VirtualService", "vs", "KIA1107")


def test_sidecar_import_scope_limits_conflict_checks():
    # The root namespace's selector-less Sidecar is the fallback of every viewpoint.
    sidecar = obj("Sidecar", "default", ns="istio-system", egress=[{"hosts": ["*/ratings"]}])
    assert flagged([vs(), vs("other")], "VirtualService", "vs", "KIA1106")
    assert not flagged([sidecar, vs(), vs("other")], "VirtualService", "vs", "KIA1106")


def test_namespace_wide_dr_exported_everywhere_reads_each_viewpoints_peer_authentications():
    # Kiali quirk (spec §9.2): from istio-system's pass no bookinfo PA is seen.
    objs = [dr(host=NS_WIDE, trafficPolicy=tls("ISTIO_MUTUAL")), pa(mtls={"mode": "PERMISSIVE"})]
    assert flagged(objs, "DestinationRule", "dr", "KIA0206", enable_auto_mtls=False)
