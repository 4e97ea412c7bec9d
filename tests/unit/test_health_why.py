"""The explanation a health popover and a detail page give (mesh/health/why.py)."""

from __future__ import annotations

from kiali_site.config import HealthConfig
from mesh.health.compute import namespace_health
from mesh.health.rates import NamespaceSamples
from mesh.health.serving import HealthLookup
from mesh.health.tolerance import compile_rules
from mesh.health.why import Traffic, health_why
from tests.unit.test_health_compute import sample, shop


def lookup_of(samples: list) -> tuple[HealthLookup, object]:
    inventory = shop()
    entry = namespace_health(
        inventory,
        NamespaceSamples(workload_traffic=samples),
        compile_rules(HealthConfig()),
        computed_at=1.0,
        duration="5m",
    )
    return HealthLookup(entries={("east", "shop"): entry}), inventory


def test_a_failing_workload_says_which_part_and_with_which_numbers():
    lookup, inventory = lookup_of(
        [
            sample(6, destination_workload="orders-v2", response_code="200"),
            sample(3, destination_workload="orders-v2", response_code="503"),
            sample(1, destination_workload="orders-v2", response_code="404"),
        ]
    )
    why = health_why(lookup, compile_rules(HealthConfig()), inventory.workload("orders-v2"))
    assert why.info is not None and why.info.status == "Failure"
    assert why.pods == "1 of 1 pod available"
    # 4xx and 5xx both count as errors under Kiali's default tolerances
    assert why.inbound == Traffic(rate=10, error_percent=40)
    assert why.outbound is None
    assert why.duration == "5m"
    assert [r.part for r in why.reasons] == ["inbound"]
    assert "503: 3.00 req/s" in why.reasons[0].text


def test_an_app_sums_its_versions_pods_and_an_uncomputed_object_has_no_claims():
    lookup, inventory = lookup_of([])
    why = health_why(lookup, compile_rules(HealthConfig()), inventory.app("orders"))
    assert why.pods == "2 of 2 pods available"
    assert why.inbound is None and why.reasons == []
    empty = health_why(HealthLookup(), compile_rules(HealthConfig()), inventory.app("orders"))
    assert empty.info is None and empty.pods == ""
