"""The demo mesh's deliberately broken objects are each flagged with the expected code."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from validations.engine import validate
from validations.offline import load_files

EAST = Path(__file__).resolve().parents[2] / "mesh" / "sim" / "demo" / "east"


@pytest.fixture(scope="module")
def east() -> dict:
    loaded = load_files(sorted(str(p) for p in EAST.glob("*.yaml")))
    return {r.key: r for r in validate(loaded.context)}


def checks(results: dict, kind: str, name: str) -> list[tuple[str, str]]:
    return [(c.code, c.path) for c in results[(kind, "bookinfo", name)].checks]


def test_virtual_service_routing_to_an_undefined_subset_is_flagged_kia1107(east):
    assert ("KIA1107", "spec/http[0]/route[0]/destination") in checks(
        east, "VirtualService", "reviews-broken"
    )


def test_destination_rule_for_a_host_nothing_serves_is_flagged_kia0202(east):
    assert ("KIA0202", "spec/host") in checks(east, "DestinationRule", "ghost-dr")
    assert not east[("DestinationRule", "bookinfo", "ghost-dr")].valid


def test_two_gateways_claiming_one_host_are_both_flagged_kia0301(east):
    for me, other in (("dup-gateway-a", "dup-gateway-b"), ("dup-gateway-b", "dup-gateway-a")):
        assert ("KIA0301", "spec/servers[0]/hosts[0]") in checks(east, "Gateway", me)
        assert ("Gateway", "bookinfo", other) in east[("Gateway", "bookinfo", me)].references


def mtls_disabling_rules() -> list[str]:
    """DestinationRules of the broken file that disable mTLS (the PA-vs-DR fault)."""
    docs = yaml.safe_load_all((EAST / "bookinfo-broken.yaml").read_text())
    return [
        d["metadata"]["name"]
        for d in docs
        if d
        and d["kind"] == "DestinationRule"
        and d["spec"].get("trafficPolicy", {}).get("tls", {}).get("mode") == "DISABLE"
    ]


def test_strict_peer_authentication_with_a_dr_disabling_mtls_is_flagged_kia0207(east):
    # Kiali's KIA0207 concerns the namespace-wide DestinationRule (*.bookinfo.svc.cluster.local)
    rules = mtls_disabling_rules()
    assert rules
    for name in rules:
        assert ("KIA0207", "spec/trafficPolicy/tls/mode") in checks(east, "DestinationRule", name)


def test_the_demo_istio_config_outside_the_broken_file_is_only_flagged_for_clashing_with_it(east):
    docs = yaml.safe_load_all((EAST / "bookinfo-broken.yaml").read_text())
    broken = {(d["kind"], d["metadata"]["namespace"], d["metadata"]["name"]) for d in docs if d}
    for key, record in east.items():
        istio = key[0] in ("VirtualService", "DestinationRule", "Gateway", "PeerAuthentication")
        if not istio or key in broken:
            continue
        for check in record.checks:
            # A namespace-wide rule overlaps every host of its namespace (KIA0201, spec §5.3).
            assert check.code == "KIA0201", (key, check)
            assert set(record.references) <= broken, (key, record.references)
