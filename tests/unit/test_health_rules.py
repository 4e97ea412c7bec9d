"""Health rules of spec/health.md, tested as pure functions (no Django, no cluster)."""

from __future__ import annotations

import pytest

from kiali_site.config import HealthConfig, RateRule, ToleranceConfig
from mesh.health.model import (
    DEGRADED,
    FAILURE,
    HEALTHY,
    NA,
    NOT_READY,
    AppHealth,
    RequestHealth,
    WorkloadHealth,
    WorkloadStatus,
)
from mesh.health.status import (
    app_health_status,
    buckets,
    replica_status,
    request_status,
    roll_up,
    workload_health_status,
)
from mesh.health.tolerance import compile_pattern, compile_rules, parse_annotation, tolerances_for

DEFAULTS = compile_rules(HealthConfig())


def default_tolerances(kind: str = "workload", name: str = "w", annotations=None):
    return tolerances_for(DEFAULTS, "ns", kind, name, annotations)


def inbound(protocol: str, codes: dict[str, float]) -> RequestHealth:
    return RequestHealth(inbound={protocol: codes})


def ws(desired: int, current: int, available: int, synced: int = -1) -> WorkloadStatus:
    return WorkloadStatus("w", desired, current, available, synced)


# --- default tolerance table, row by row (health.md 5.2) -------------------------------------


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ({"200": 100}, HEALTHY),
        ({"200": 99.9, "503": 0.1}, DEGRADED),  # any 5xx is Degraded
        ({"200": 91, "500": 9}, DEGRADED),
        ({"200": 90, "500": 10}, FAILURE),  # >= 10 % is Failure
    ],
)
def test_http_5xx_row_any_error_degrades_and_ten_percent_fails(codes, expected):
    assert request_status(inbound("http", codes), default_tolerances()).status == expected


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ({"200": 91, "404": 9}, HEALTHY),  # under 10 %
        ({"200": 90, "404": 10}, DEGRADED),
        ({"200": 81, "401": 19}, DEGRADED),
        ({"200": 80, "403": 20}, FAILURE),
    ],
)
def test_http_4xx_row_degrades_at_ten_and_fails_at_twenty_percent(codes, expected):
    assert request_status(inbound("http", codes), default_tolerances()).status == expected


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ({"0": 100}, HEALTHY),  # gRPC status 0 is OK
        ({"0": 99, "14": 1}, DEGRADED),
        ({"0": 95, "16": 5}, DEGRADED),
        ({"0": 90, "2": 10}, FAILURE),
        ({"0": 50, "17": 50}, HEALTHY),  # 17 is not a gRPC error status
    ],
)
def test_grpc_row_counts_statuses_one_to_sixteen(codes, expected):
    assert request_status(inbound("grpc", codes), default_tolerances()).status == expected


@pytest.mark.parametrize(
    ("protocol", "codes", "expected"),
    [
        ("http", {"200": 99, "-": 1}, DEGRADED),
        ("http", {"200": 90, "-": 10}, FAILURE),
        ("grpc", {"0": 99, "-": 1}, DEGRADED),
        ("grpc", {"0": 85, "-": 15}, FAILURE),
    ],
)
def test_no_response_row_applies_to_http_and_grpc(protocol, codes, expected):
    assert request_status(inbound(protocol, codes), default_tolerances()).status == expected


def test_default_code_patterns_compile_as_kiali_writes_them():
    assert compile_pattern("5XX", is_code=True).pattern == r"^5\d\d$"
    # no grouping is added: "starts with http OR ends with grpc"
    assert compile_pattern("http|grpc").pattern == "^http|grpc$"
    assert compile_pattern("^[1-9]$|^1[0-6]$", is_code=True).pattern == "^[1-9]$|^1[0-6]$"
    assert compile_pattern("(").pattern == "^.*$"  # invalid regex matches everything


def test_tcp_only_traffic_gets_no_request_status():
    info = request_status(RequestHealth(inbound={"tcp": {"-": 5}}), default_tolerances())
    assert (info.status, info.error_ratio) == (NA, -1)


def test_a_workload_with_no_traffic_is_judged_on_replicas_only():
    health = WorkloadHealth(RequestHealth(), ws(2, 2, 2))
    info = workload_health_status(health, default_tolerances())
    assert info.status == HEALTHY
    assert info.to_json() == {"status": "Healthy", "errorRatio": -1}


def test_worked_example_of_the_spec():
    requests = RequestHealth(
        inbound={"http": {"200": 90, "404": 4, "503": 6}},
        outbound={"grpc": {"0": 98, "14": 2}},
    )
    info = workload_health_status(WorkloadHealth(requests, ws(2, 2, 2, 2)), default_tolerances())
    assert info.status == DEGRADED
    assert info.error_ratio == pytest.approx(6)
    assert info.total_request_rate == pytest.approx(200)


# --- replica status (health.md 3.3) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, NA),
        (ws(0, 0, 0), NOT_READY),  # scaled to zero
        (ws(3, 3, 1), DEGRADED),  # pods not ready
        (ws(3, 2, 2), DEGRADED),
        (ws(2, 2, 0), FAILURE),  # nothing available
        (ws(2, 3, 2), FAILURE),  # pending pods beside the available ones
        (ws(2, 2, 2, synced=1), DEGRADED),  # a proxy out of sync
        (ws(2, 2, 2, synced=2), HEALTHY),
        (ws(2, 2, 2), HEALTHY),  # no proxy status known
        (ws(2, 2, 3), DEGRADED),  # anything else (more available than desired)
    ],
)
def test_replica_status_rules_in_order(status, expected):
    assert replica_status(status) == expected


def test_zero_replicas_make_a_workload_not_ready_even_without_traffic():
    info = workload_health_status(
        WorkloadHealth(RequestHealth(), ws(0, 0, 0)), default_tolerances()
    )
    assert info.status == NOT_READY


def test_an_app_takes_the_worst_of_its_workloads_and_requests():
    app = AppHealth(inbound("http", {"200": 100}), [ws(1, 1, 1), ws(2, 2, 0)])
    assert app_health_status(app, default_tolerances("app")).status == FAILURE


# --- configuration and the annotation (health.md 5.1, 5.3, 6.3) ------------------------------


def test_configured_rules_win_over_the_default_for_matching_entities():
    config = HealthConfig(
        rate=[
            RateRule(
                namespace="bookinfo",
                kind="service",
                name="reviews",
                tolerance=[ToleranceConfig(code="5XX", protocol="http", degraded=5, failure=20)],
            )
        ]
    )
    rules = compile_rules(config)
    assert len(rules) == 2  # the default entry is appended as the fallback
    errors = inbound("http", {"200": 94, "503": 6})
    custom = tolerances_for(rules, "bookinfo", "service", "reviews")
    assert request_status(errors, custom).status == DEGRADED
    assert request_status(inbound("http", {"200": 96, "503": 4}), custom).status == HEALTHY
    other = tolerances_for(rules, "bookinfo", "service", "ratings")
    assert request_status(inbound("http", {"200": 96, "503": 4}), other).status == DEGRADED


def test_a_rule_without_tolerances_falls_back_to_the_error_ratio_rule():
    rules = compile_rules(HealthConfig(rate=[RateRule(namespace="quiet")]))
    tolerances = tolerances_for(rules, "quiet", "app", "a")
    assert tolerances == ()
    assert request_status(inbound("http", {"200": 1999, "404": 1}), tolerances).status == HEALTHY
    assert request_status(inbound("http", {"200": 99, "404": 1}), tolerances).status == DEGRADED
    assert request_status(inbound("http", {"200": 9, "404": 1}), tolerances).status == FAILURE
    assert request_status(RequestHealth(), tolerances).status == NA


def test_direction_patterns_limit_a_tolerance_to_inbound_or_outbound():
    config = HealthConfig(
        rate=[RateRule(tolerance=[ToleranceConfig(code="5XX", direction="inbound", failure=50)])]
    )
    tolerances = tolerances_for(compile_rules(config), "ns", "workload", "w")
    out = RequestHealth(outbound={"http": {"200": 1, "500": 9}})
    assert request_status(out, tolerances).status == NA  # nothing applies outbound


def test_the_annotation_replaces_configured_tolerances():
    annotations = {"health.kiali.io/rate": "4XX,10,20,http,inbound;5XX,5,10,http,inbound"}
    tolerances = default_tolerances(annotations=annotations)
    assert len(tolerances) == 2
    assert request_status(inbound("http", {"200": 96, "503": 4}), tolerances).status == HEALTHY
    assert request_status(inbound("http", {"200": 94, "503": 6}), tolerances).status == DEGRADED


def test_invalid_annotation_entries_are_dropped_and_the_config_applies():
    assert parse_annotation("5XX,20,10,http,inbound;bad;4XX,a,b,http,inbound") == ()
    tolerances = default_tolerances(annotations={"health.kiali.io/rate": "5XX,20,10,http"})
    assert len(tolerances) == 4  # the default entry


# --- namespace roll-up (health.md 6.5) --------------------------------------------------------


def test_namespace_buckets_and_worst_status():
    from mesh.health.model import StatusInfo

    apps = buckets({"a": StatusInfo(HEALTHY), "b": StatusInfo(NOT_READY), "c": None})
    services = buckets({"s": StatusInfo(DEGRADED)})
    assert apps.to_json() == {
        "inError": [],
        "inWarning": [],
        "inSuccess": ["a"],
        "inNotReady": ["b"],
        "notAvailable": ["c"],
    }
    assert apps.worst == NOT_READY
    assert roll_up([apps, services]) == DEGRADED
    assert roll_up([]) == NA
