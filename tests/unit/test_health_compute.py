"""Namespace health from an inventory and canned Prometheus samples (health.md 4 and 6)."""

from __future__ import annotations

from kiali_site.config import HealthConfig, KialiConfig
from mesh.health.compute import namespace_health
from mesh.health.rates import (
    NamespaceSamples,
    cluster_queries,
    namespace_queries,
    response_code,
    split_cluster_samples,
)
from mesh.health.tolerance import compile_rules
from mesh.inventory.build import RawCluster, build_snapshot
from mesh.prometheus.client import Sample
from tests import inventory_factory as f

RULES = compile_rules(HealthConfig())


def sample(value: float, **labels: str) -> Sample:
    base = {
        "request_protocol": "http",
        "reporter": "destination",
        "destination_cluster": "east",
        "source_cluster": "east",
    }
    return Sample({**base, **labels}, value)


def shop():
    raw = RawCluster(namespaces=[f.namespace("shop")])
    f.add_versioned_app(raw, "shop", "orders", ["v1", "v2"])
    f.add_versioned_app(raw, "shop", "ui", ["v1"])
    f.add_versioned_app(raw, "shop", "legacy", ["v1"], sidecar=False)
    return build_snapshot("east", raw, KialiConfig()).namespaces["shop"]


def test_queries_carry_no_scope_sum_or_rounding_and_escape_names():
    inbound, outbound = cluster_queries("east", "5m")
    assert inbound == 'rate(istio_requests_total{destination_cluster=~"east|unknown"}[5m]) > 0'
    assert outbound == 'rate(istio_requests_total{source_cluster="east"}[5m]) > 0'
    into, _, services = namespace_queries("east", 'a"b', "1m")
    assert 'destination_service_namespace="a\\"b"' in into
    assert 'source_workload_namespace!~"a\\"b"' in into
    assert services.endswith('destination_cluster=~"east|unknown"}[1m]) > 0')


def test_response_codes_are_normalised():
    assert response_code({"response_code": "0"}) == "-"
    assert (
        response_code(
            {"response_code": "200", "request_protocol": "grpc", "grpc_response_status": "14"}
        )
        == "14"
    )
    assert response_code({"response_code": "503", "request_protocol": "http"}) == "503"


def test_cluster_samples_split_like_the_namespace_queries():
    to_cluster = [
        sample(1, destination_service_namespace="shop", source_workload_namespace="web"),
        sample(2, destination_service_namespace="shop", source_workload_namespace="shop"),
        sample(
            3,
            destination_service_namespace="shop",
            source_workload_namespace="web",
            destination_cluster="unknown",
        ),
    ]
    from_cluster = [sample(4, source_workload_namespace="shop", destination_service_namespace="db")]
    split = split_cluster_samples("east", to_cluster, from_cluster)
    assert [s.value for s in split["shop"].workload_traffic] == [1, 4]
    assert [s.value for s in split["shop"].service_traffic] == [1, 2, 3]


def test_inbound_combines_reporters_and_outbound_counts_source_reports_only():
    traffic = [
        sample(
            10,
            reporter="source",
            destination_workload="orders-v2",
            destination_canonical_service="orders",
            response_code="200",
        ),
        sample(
            12,
            reporter="destination",
            destination_workload="orders-v2",
            destination_canonical_service="orders",
            response_code="200",
        ),
        sample(
            9,
            reporter="destination",
            destination_workload="orders-v2",
            destination_canonical_service="orders",
            response_code="503",
        ),
        sample(
            5,
            reporter="source",
            source_workload="ui-v1",
            source_canonical_service="ui",
            response_code="200",
        ),
        sample(
            7,
            reporter="destination",
            source_workload="ui-v1",
            source_canonical_service="ui",
            response_code="200",
        ),
    ]
    health = namespace_health(
        shop(), NamespaceSamples(workload_traffic=traffic), RULES, computed_at=1.0, duration="5m"
    )
    orders_v2 = health.workload_health["orders-v2"]
    assert orders_v2.requests.inbound == {"http": {"200": 12, "503": 9}}  # the larger report wins
    assert orders_v2.status.status == "Failure"  # 9 / 21 = 43 % 5xx
    assert health.app_health["orders"].status.status == "Failure"
    assert health.workload_health["ui-v1"].requests.outbound == {"http": {"200": 5}}
    assert health.workload_health["ui-v1"].status.status == "Healthy"
    # no telemetry for a workload without sidecar: replicas decide
    assert health.workload_health["legacy-v1"].requests.inbound == {}
    assert health.workload_health["legacy-v1"].status.status == "Healthy"
    assert health.to_json()["workloadHealth"]["orders-v1"]["workloadStatus"] == {
        "name": "orders-v1",
        "desiredReplicas": 1,
        "currentReplicas": 1,
        "availableReplicas": 1,
        "syncedProxies": -1,
    }


def test_service_health_reads_inbound_by_service_name_and_honours_its_annotation():
    inventory = shop()
    inventory.service("orders").annotations["health.kiali.io/rate"] = "5XX,50,60,http,inbound"
    services = [
        sample(10, destination_service_name="orders", response_code="200"),
        sample(2, destination_service_name="orders", response_code="503"),
        sample(1, destination_service_name="ui", response_code="503"),
    ]
    health = namespace_health(
        inventory, NamespaceSamples(service_traffic=services), RULES, computed_at=1.0, duration="5m"
    )
    assert health.service_health["orders"].status.status == "Healthy"  # 17 % under its own 50 %
    assert health.service_health["ui"].status.status == "Failure"
    assert health.service_health["legacy"].status.status == "NA"  # no traffic, no replicas
