"""Every AuthorizationPolicy, PeerAuthentication and RequestAuthentication code: a minimal
input that raises it and a near miss that does not; and the KIA0105 mTLS decision."""

from __future__ import annotations

import pytest

from tests.unit.validation_builders import base, checks_of, flagged, obj, run

NS_WIDE = "*.bookinfo.svc.cluster.local"
NO_AUTO = {"enable_auto_mtls": False}
REVIEWS_SA = "cluster.local/ns/bookinfo/sa/reviews"


def ap(name="ap", rules=None, ns="bookinfo", **spec):
    return obj("AuthorizationPolicy", name, ns=ns, rules=rules or [], **spec)


def source(**fields):
    return [{"from": [{"source": fields}]}]


def operation(**fields):
    return [{"to": [{"operation": fields}]}]


def pa(name="default", ns="bookinfo", mode=None, **spec):
    if mode:
        spec["mtls"] = {"mode": mode}
    return obj("PeerAuthentication", name, ns=ns, **spec)


def dr(name="dr", host=NS_WIDE, mode="ISTIO_MUTUAL", ns="bookinfo"):
    return obj("DestinationRule", name, ns=ns, host=host, trafficPolicy={"tls": {"mode": mode}})


SELECT_REVIEWS = {"matchLabels": {"app": "reviews"}}
SELECT_NOTHING = {"matchLabels": {"app": "nothing"}}

CASES = [
    (
        "selector-less PAs",
        "KIA0002",
        "PeerAuthentication",
        "default",
        [pa(), pa("second")],
        [pa(), pa("second", selector=SELECT_REVIEWS)],
        {},
    ),
    (
        "PAs selecting one workload",
        "KIA0003",
        "PeerAuthentication",
        "a",
        [pa("a", selector=SELECT_REVIEWS), pa("b", selector=SELECT_REVIEWS)],
        [pa("a", selector=SELECT_REVIEWS), pa("b", selector={"matchLabels": {"app": "ratings"}})],
        {},
    ),
    (
        "PA selector matches nothing",
        "KIA0004",
        "PeerAuthentication",
        "a",
        [pa("a", selector=SELECT_NOTHING)],
        [pa("a", selector=SELECT_REVIEWS)],
        {},
    ),
    (
        "AP selector matches nothing",
        "KIA0004",
        "AuthorizationPolicy",
        "ap",
        [ap(selector=SELECT_NOTHING)],
        [ap(selector=SELECT_REVIEWS)],
        {},
    ),
    (
        "RA selector matches nothing",
        "KIA0004",
        "RequestAuthentication",
        "ra",
        [obj("RequestAuthentication", "ra", selector=SELECT_NOTHING)],
        [obj("RequestAuthentication", "ra", selector=SELECT_REVIEWS)],
        {},
    ),
    (
        "AP source namespace missing",
        "KIA0101",
        "AuthorizationPolicy",
        "ap",
        [ap(rules=source(namespaces=["nowhere"]))],
        [ap(rules=source(namespaces=["bookinfo", "book*", "*-system", "*"]))],
        {},
    ),
    (
        "AP bad HTTP method",
        "KIA0102",
        "AuthorizationPolicy",
        "ap",
        [ap(rules=operation(methods=["FETCH"]))],
        [ap(rules=operation(methods=["get", "*", "PO*", "*ETE"]))],
        {},
    ),
    (
        "AP host not in registry",
        "KIA0104",
        "AuthorizationPolicy",
        "ap",
        [ap(rules=operation(hosts=["ghost"]))],
        [ap(rules=operation(hosts=["reviews", "ratings.bookinfo", "x.y.z", "*.example.com"]))],
        {},
    ),
    (
        "AP host declared by a VirtualService",
        "KIA0104",
        "AuthorizationPolicy",
        "ap",
        [ap(rules=operation(hosts=["virtual"]))],
        [
            ap(rules=operation(hosts=["virtual"])),
            obj(
                "VirtualService",
                "vs",
                hosts=["virtual"],
                http=[{"route": [{"destination": {"host": "reviews"}}]}],
            ),
        ],
        {},
    ),
    (
        "AP identity field without mTLS",
        "KIA0105",
        "AuthorizationPolicy",
        "ap",
        [ap(rules=source(principals=[REVIEWS_SA]))],
        [ap(rules=source(principals=[REVIEWS_SA])), pa(mode="STRICT"), dr()],
        NO_AUTO,
    ),
    (
        "AP principal with no service account",
        "KIA0106",
        "AuthorizationPolicy",
        "ap",
        [ap(rules=source(principals=["cluster.local/ns/bookinfo/sa/ghost"]))],
        [
            ap(
                rules=source(
                    principals=[REVIEWS_SA, "*", "*/sa/ratings", "cluster.local/ns/bookinfo/*"]
                )
            )
        ],
        {},
    ),
    (
        "AP principal with unknown trust domain",
        "KIA0108",
        "AuthorizationPolicy",
        "ap",
        [ap(rules=source(principals=["elsewhere.org/ns/bookinfo/sa/reviews"]))],
        [ap(rules=source(principals=["cluster.local/ns/bookinfo/sa/ghost"]))],
        {},
    ),
    (
        "root PA STRICT without mesh mTLS DR",
        "KIA0401",
        "PeerAuthentication",
        "default",
        [pa(ns="istio-system", mode="STRICT")],
        [pa(ns="istio-system", mode="STRICT"), dr(host="*.local", ns="istio-system")],
        NO_AUTO,
    ),
    (
        "namespace PA STRICT without namespace mTLS DR",
        "KIA0501",
        "PeerAuthentication",
        "default",
        [pa(mode="STRICT")],
        [pa(mode="STRICT"), dr()],
        NO_AUTO,
    ),
    (
        "namespace PA DISABLE with namespace mTLS DR",
        "KIA0505",
        "PeerAuthentication",
        "default",
        [pa(mode="DISABLE"), dr()],
        [pa(mode="DISABLE"), dr(mode="DISABLE")],
        {},
    ),
    (
        "namespace PA DISABLE with mesh mTLS DR",
        "KIA0505",
        "PeerAuthentication",
        "default",
        [pa(mode="DISABLE"), dr(host="*.local", ns="istio-system")],
        [pa(mode="DISABLE"), dr(host="*.local", ns="istio-system"), dr(mode="DISABLE")],
        {},
    ),
    (
        "root PA DISABLE with mesh mTLS DR",
        "KIA0506",
        "PeerAuthentication",
        "default",
        [pa(ns="istio-system", mode="DISABLE"), dr(host="*.local", ns="istio-system")],
        [pa(ns="istio-system", mode="DISABLE")],
        {},
    ),
]


def _ns(raising, name):
    for o in raising:
        if o["metadata"]["name"] == name:
            return o["metadata"]["namespace"]
    return "bookinfo"


@pytest.mark.parametrize(
    ("code", "kind", "name", "raising", "near_miss", "mesh"),
    [pytest.param(*c[1:], id=f"{c[1]} {c[0]}") for c in CASES],
)
def test_code_is_raised_by_its_input_and_not_by_the_near_miss(
    code, kind, name, raising, near_miss, mesh
):
    ns = _ns(raising, name)
    assert flagged(raising, kind, name, code, ns=ns, **mesh)
    assert not flagged(near_miss, kind, name, code, ns=ns, **mesh)


def test_principal_of_another_cluster_is_informational_kia0107():
    policy = ap(rules=source(principals=["cluster.local/ns/bookinfo/sa/remote-only"]))
    remote = {"remote_identities": frozenset({"cluster.local/ns/bookinfo/sa/remote-only"})}
    results = run(*base(), policy, context_fields=remote)
    assert checks_of(results, "AuthorizationPolicy", "ap") == [
        ("KIA0107", "info", "spec/rules[0]/from[0]/source/principals[0]")
    ]
    assert not results[("AuthorizationPolicy", "bookinfo", "ap")].valid
    assert not flagged([policy], "AuthorizationPolicy", "ap", "KIA0107")


def test_trust_domain_of_another_cluster_is_not_unknown():
    policy = ap(rules=source(principals=["west.local/ns/bookinfo/sa/ghost"]))
    assert flagged([policy], "AuthorizationPolicy", "ap", "KIA0108")
    known = {"remote_trust_domains": frozenset({"west.local"})}
    assert not flagged([policy], "AuthorizationPolicy", "ap", "KIA0108", context_fields=known)
    assert flagged([policy], "AuthorizationPolicy", "ap", "KIA0106", context_fields=known)


# Spec §6.1's worked examples: (extra objects, auto-mTLS, KIA0105 expected)
MTLS_EXAMPLES = [
    ("nothing configured, auto", [], True, False),
    ("nothing configured, no auto", [], False, True),
    ("namespace STRICT alone, auto", [pa(mode="STRICT")], True, False),
    ("namespace STRICT alone, no auto", [pa(mode="STRICT")], False, True),
    ("namespace STRICT with namespace DR", [pa(mode="STRICT"), dr()], False, False),
    ("namespace DR DISABLE", [dr(mode="DISABLE")], True, True),
    ("mesh PA DISABLE", [pa(ns="istio-system", mode="DISABLE")], True, True),
    ("mesh PERMISSIVE alone, auto", [pa(ns="istio-system", mode="PERMISSIVE")], True, False),
    ("mesh PERMISSIVE alone, no auto", [pa(ns="istio-system", mode="PERMISSIVE")], False, True),
    (
        "workload PA DISABLE under namespace STRICT",
        [pa(mode="STRICT"), dr(), pa("wl", mode="DISABLE", selector=SELECT_REVIEWS)],
        False,
        True,
    ),
]


@pytest.mark.parametrize(
    ("extra", "auto", "expected"), [pytest.param(*e[1:], id=e[0]) for e in MTLS_EXAMPLES]
)
def test_identity_rules_need_mtls_as_spec_6_1_decides(extra, auto, expected):
    policy = ap(selector=SELECT_REVIEWS, rules=source(principals=[REVIEWS_SA]))
    assert (
        flagged([policy, *extra], "AuthorizationPolicy", "ap", "KIA0105", enable_auto_mtls=auto)
        is expected
    )


def test_each_identity_field_gets_its_own_kia0105():
    rules = [
        {
            "from": [{"source": {"namespaces": ["bookinfo"], "notPrincipals": ["x"]}}],
            "when": [
                {"key": "source.principal", "values": ["a"]},
                {"key": "request.headers[x]", "values": ["b"]},
            ],
        }
    ]
    results = run(*base(), ap(rules=rules), enable_auto_mtls=False)
    assert [c for c in checks_of(results, "AuthorizationPolicy", "ap") if c[0] == "KIA0105"] == [
        ("KIA0105", "error", "spec/rules[0]/from[0]/source/namespaces"),
        ("KIA0105", "error", "spec/rules[0]/from[0]/source/notPrincipals"),
        ("KIA0105", "error", "spec/rules[0]/when[0]"),
    ]


def test_request_authentications_never_clash():
    ras = [obj("RequestAuthentication", "a"), obj("RequestAuthentication", "b")]
    assert not flagged(ras, "RequestAuthentication", "a", "KIA0002")
