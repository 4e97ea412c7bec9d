"""Discovery selectors and label-selector semantics decide which namespaces show."""

from __future__ import annotations

import pytest

from kiali_site.auth.visibility import discovery_filter, identity_key
from kiali_site.config import parse_config
from mesh.kube.namespaces import Namespace
from mesh.kube.selectors import matches_selector

NAMESPACES = [
    Namespace("east", "bookinfo", {"istio-injection": "enabled", "team": "books"}),
    Namespace("east", "ecommerce", {"istio-injection": "enabled"}),
    Namespace("east", "istio-system", {}),
    Namespace("east", "kube-system", {}),
    Namespace("east", "openshift-monitoring", {}),
    Namespace("east", "kiali-operator", {}),
    Namespace("east", "default", {}),
]


def names(namespaces):
    return [ns.name for ns in namespaces]


def test_without_selectors_platform_namespaces_are_hidden():
    config = parse_config("{}")
    assert names(discovery_filter(config, "east", NAMESPACES, set())) == [
        "bookinfo",
        "ecommerce",
        "istio-system",
        "default",
    ]


def test_selectors_are_ored_and_the_control_plane_always_shows():
    config = parse_config(
        "deployment:\n  discovery_selectors:\n    default:\n"
        "    - matchLabels: {team: books}\n"
        "    - matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [default]}]\n"
    )
    ns = [
        Namespace(n.cluster, n.name, {**n.labels, "kubernetes.io/metadata.name": n.name})
        for n in NAMESPACES
    ]
    assert names(discovery_filter(config, "east", ns, {"istio-system"})) == [
        "bookinfo",
        "istio-system",
        "default",
    ]


def test_a_per_cluster_override_replaces_the_default_selectors():
    config = parse_config(
        "deployment:\n  discovery_selectors:\n    default: [{matchLabels: {team: books}}]\n"
        "    overrides:\n      west: [{matchLabels: {istio-injection: enabled}}]\n"
    )
    assert names(discovery_filter(config, "east", NAMESPACES, set())) == ["bookinfo"]
    assert names(discovery_filter(config, "west", NAMESPACES, set())) == ["bookinfo", "ecommerce"]


@pytest.mark.parametrize(
    ("labels", "match_labels", "expressions", "expected"),
    [
        ({"a": "1"}, {}, [], True),
        ({"a": "1"}, {"a": "1"}, [], True),
        ({"a": "1"}, {"a": "2"}, [], False),
        ({"a": "1"}, {}, [{"key": "a", "operator": "In", "values": ["1", "2"]}], True),
        ({"a": "3"}, {}, [{"key": "a", "operator": "In", "values": ["1", "2"]}], False),
        ({}, {}, [{"key": "a", "operator": "NotIn", "values": ["1"]}], True),
        ({"a": "1"}, {}, [{"key": "a", "operator": "NotIn", "values": ["1"]}], False),
        ({"a": ""}, {}, [{"key": "a", "operator": "Exists"}], True),
        ({"a": ""}, {}, [{"key": "a", "operator": "DoesNotExist"}], False),
        ({"a": "1"}, {"a": "1"}, [{"key": "b", "operator": "Exists"}], False),
    ],
)
def test_label_selectors_follow_kubernetes(labels, match_labels, expressions, expected):
    assert matches_selector(labels, match_labels, expressions) is expected


def test_identity_keys_never_contain_the_token():
    token = "eyJhbGciOi.secret.token"
    assert token not in identity_key(token)
    assert identity_key(None) == "service-account"
    assert identity_key(token) != identity_key(token + "x")
