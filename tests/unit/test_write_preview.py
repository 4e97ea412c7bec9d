"""What a change would do to the validations, computed before it is made
(mesh/writes/preview.py), and the wizard's objects (mesh/writes/traffic.py)."""

from __future__ import annotations

import pytest

from kiali_site.config import KialiConfig
from mesh.writes.preview import findings_diff
from mesh.writes.traffic import Version, WizardError, traffic_shifting, weights_from_form
from validations.live import ClusterObjects

HOST = "reviews.shop.svc.cluster.local"


def destination_rule(*subsets: str) -> dict:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": "reviews", "namespace": "shop"},
        "spec": {"host": HOST, "subsets": [{"name": s, "labels": {"version": s}} for s in subsets]},
    }


def virtual_service(subset: str) -> dict:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "reviews", "namespace": "shop"},
        "spec": {
            "hosts": [HOST],
            "http": [{"route": [{"destination": {"host": HOST, "subset": subset}}]}],
        },
    }


def test_routing_to_a_missing_subset_is_listed_before_anything_is_applied():
    objects = ClusterObjects("east", {}, [destination_rule("v1")])
    diff = findings_diff(objects, KialiConfig(), [virtual_service("v2")], lambda ns: True)
    assert "KIA1107" in {f.code for f in diff.added}
    assert {f.severity for f in diff.added if f.code == "KIA1107"} == {"warning"}
    fixed = ClusterObjects("east", {}, [destination_rule("v1"), virtual_service("v2")])
    repaired = findings_diff(fixed, KialiConfig(), [destination_rule("v1", "v2")], lambda ns: True)
    assert "KIA1107" in {f.code for f in repaired.removed} and not repaired.added


def test_findings_in_namespaces_the_user_cannot_see_are_left_out():
    objects = ClusterObjects("east", {}, [destination_rule("v1")])
    diff = findings_diff(objects, KialiConfig(), [virtual_service("v2")], lambda ns: ns != "shop")
    assert diff.added == [] and diff.removed == []


def test_weights_must_be_whole_percentages_adding_up_to_100():
    versions = [Version("v1", ("r-v1",)), Version("v2", ("r-v2",))]
    assert weights_from_form({"weight-v1": "80", "weight-v2": "20"}, versions) == {
        "v1": 80,
        "v2": 20,
    }
    for form, message in (
        ({"weight-v1": "80", "weight-v2": "30"}, "add up to 110%"),
        ({"weight-v1": "x", "weight-v2": "100"}, "whole number"),
        ({"weight-v1": "-10", "weight-v2": "110"}, "between 0 and 100"),
    ):
        with pytest.raises(WizardError, match=message):
            weights_from_form(form, versions)


def test_a_version_weighted_zero_keeps_its_subset_but_gets_no_route():
    vs, dr = traffic_shifting(
        "reviews", "shop", "svc.cluster.local", "version", {"v1": 100, "v2": 0}, "v1"
    )
    assert [r["destination"]["subset"] for r in vs["spec"]["http"][0]["route"]] == ["v1"]
    assert [s["name"] for s in dr["spec"]["subsets"]] == ["v1", "v2"]
    assert (
        vs["metadata"]["labels"] == dr["metadata"]["labels"] == {"kiali_wizard": "traffic_shifting"}
    )
