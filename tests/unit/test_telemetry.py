"""The telemetry exporter emits what Envoy's Istio stats emit, and counters move with time."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import requests

from mesh.sim.telemetry import (
    REQUEST_LABELS,
    TCP_LABELS,
    TelemetryExporter,
    TopologyError,
    load_topology,
    parse_topology,
)

DEMO = Path(__file__).resolve().parents[2] / "mesh" / "sim" / "demo" / "topology.yaml"

_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$")
_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')


def parse(text: str) -> list[tuple[str, dict[str, str], float]]:
    """A strict reader of the exposition lines we emit (every sample has labels)."""
    samples = []
    for line in text.splitlines():
        if line.startswith("# TYPE ") or not line:
            continue
        match = _LINE.match(line)
        assert match, f"not an exposition line: {line[:120]}"
        name, body, value = match.groups()
        pairs = _PAIR.findall(body)
        assert ",".join(f'{k}="{v}"' for k, v in pairs) == body, body
        samples.append((name, dict(pairs), float(value)))
    return samples


@pytest.fixture(scope="module")
def demo() -> TelemetryExporter:
    return TelemetryExporter(load_topology(DEMO), started_at=1000.0)


def requests_total(samples: list, **match: str) -> list[tuple[dict[str, str], float]]:
    return [
        (labels, value)
        for name, labels, value in samples
        if name == "istio_requests_total" and all(labels.get(k) == v for k, v in match.items())
    ]


def test_demo_exposition_parses_and_promtool_accepts_it(demo: TelemetryExporter) -> None:
    text = demo.render(1000.0 + 600)
    samples = parse(text)
    assert len(samples) > 1000
    result = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, text=True
    )
    # promtool lints style (no HELP text, milliseconds) but must find no format errors.
    problems = [
        line
        for line in result.stdout.splitlines() + result.stderr.splitlines()
        if "no help text" not in line and 'base unit "seconds"' not in line
    ]
    assert problems == []


def test_nothing_is_reported_before_the_first_request(demo: TelemetryExporter) -> None:
    assert demo.render(1000.0) == ""
    assert demo.render(900.0) == ""


def test_counters_grow_with_time_and_repeat_exactly(demo: TelemetryExporter) -> None:
    early = {(n, tuple(sorted(lab.items()))): v for n, lab, v in parse(demo.render(1060.0))}
    late = {(n, tuple(sorted(lab.items()))): v for n, lab, v in parse(demo.render(1120.0))}
    assert demo.render(1120.0) == demo.render(1120.0)
    assert set(early) <= set(late)
    assert all(late[key] >= value for key, value in early.items())
    totals = [key for key in early if key[0] == "istio_requests_total"]
    assert all(late[key] > early[key] for key in totals)


def test_request_rate_matches_the_topology(demo: TelemetryExporter) -> None:
    samples = parse(demo.render(1000.0 + 1000))
    # ingress -> productpage: 6 rps, reported once by the gateway
    to_productpage = requests_total(
        samples, reporter="source", source_workload="istio-ingressgateway",
        destination_service_name="productpage",
    )  # fmt: skip
    assert sum(v for _, v in to_productpage) == pytest.approx(6000, abs=2)
    reviews = requests_total(samples, reporter="destination", destination_app="reviews")
    per_version = {}
    for labels, value in reviews:
        version = labels["destination_version"]
        per_version[version] = per_version.get(version, 0) + value
    assert per_version == pytest.approx({"v1": 2000, "v2": 2000, "v3": 2000}, abs=2)


def test_mesh_internal_edges_have_both_reporters_with_istio_values(
    demo: TelemetryExporter,
) -> None:
    samples = parse(demo.render(1000.0 + 600))
    edge = requests_total(
        samples, source_workload="productpage-v1", destination_workload="details-v1"
    )
    by_reporter = {labels["reporter"]: labels for labels, _ in edge}
    assert set(by_reporter) == {"source", "destination"}
    src, dst = by_reporter["source"], by_reporter["destination"]
    assert src["connection_security_policy"] == "unknown"
    assert dst["connection_security_policy"] == "mutual_tls"
    for labels in (src, dst):
        assert (
            labels["source_principal"]
            == "spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage"
        )
        assert (
            labels["destination_principal"]
            == "spiffe://cluster.local/ns/bookinfo/sa/bookinfo-details"
        )
        assert labels["destination_service"] == "details.bookinfo.svc.cluster.local"
        assert labels["destination_service_name"] == "details"
        assert labels["destination_service_namespace"] == "bookinfo"
        assert labels["request_protocol"] == "http"
        assert labels["response_flags"] == "-"
        assert labels["grpc_response_status"] == ""


def test_every_sample_has_istios_full_label_set_in_envoys_order(
    demo: TelemetryExporter,
) -> None:
    for name, labels, _ in parse(demo.render(1000.0 + 600)):
        names = [k for k in labels if k != "le"]
        expected = TCP_LABELS if name.startswith("istio_tcp_") else REQUEST_LABELS
        assert tuple(names) == expected, name
        assert all(v != "" for k, v in labels.items() if k != "grpc_response_status"), labels


def test_sleep_without_version_label_reports_unknown_version_and_latest_revision(
    demo: TelemetryExporter,
) -> None:
    samples = parse(demo.render(1000.0 + 60))
    sleep = requests_total(samples, source_workload="sleep")
    assert sleep
    assert {labels["source_version"] for labels, _ in sleep} == {"unknown"}
    assert {labels["source_canonical_revision"] for labels, _ in sleep} == {"latest"}


def test_cross_cluster_edges_name_both_clusters(demo: TelemetryExporter) -> None:
    samples = parse(demo.render(1000.0 + 60))
    crossing = requests_total(
        samples, source_cluster="west", destination_cluster="east", destination_app="helloworld"
    )
    assert {labels["reporter"] for labels, _ in crossing} == {"source", "destination"}
    west_only = parse(demo.render(1000.0 + 60, cluster="west"))
    reporters = {
        (labels["reporter"], labels["source_cluster"], labels["destination_cluster"])
        for name, labels, _ in west_only
        if name == "istio_requests_total"
    }
    # west's proxies: its sleep as client (to both clusters) and helloworld-v2 as server
    assert reporters == {
        ("source", "west", "west"),
        ("source", "west", "east"),
        ("destination", "west", "west"),
        ("destination", "east", "west"),
    }


def test_grpc_and_tcp_edges_carry_their_own_labels(demo: TelemetryExporter) -> None:
    samples = parse(demo.render(1000.0 + 600))
    grpc = requests_total(samples, request_protocol="grpc")
    assert grpc
    assert {labels["response_code"] for labels, _ in grpc} == {"200"}
    assert {labels["grpc_response_status"] for labels, _ in grpc} == {"0"}
    names = {name for name, _, _ in samples}
    assert {
        "istio_tcp_sent_bytes_total",
        "istio_tcp_received_bytes_total",
        "istio_tcp_connections_opened_total",
        "istio_tcp_connections_closed_total",
        "istio_request_messages_total",
        "istio_response_messages_total",
    } <= names


def test_histogram_buckets_follow_the_latency_distribution(demo: TelemetryExporter) -> None:
    samples = parse(demo.render(1000.0 + 1000))
    buckets: dict[str, float] = {}
    count = 0.0
    for name, labels, value in samples:
        if (
            labels.get("reporter") == "destination"
            and labels["destination_workload"] == "order-management-v2"
            and labels["response_code"] == "503"
        ):
            if name == "istio_request_duration_milliseconds_bucket":
                buckets[labels["le"]] = value
            elif name == "istio_request_duration_milliseconds_count":
                count = value
    assert buckets["+Inf"] == count == 600  # 2 rps * 50% * 60% * 1000 s
    values = [buckets[le] for le in ("0.5", "1", "5", "100", "1000", "5000", "3.6e+06")]
    assert values == sorted(values)
    # the slow canary: p50 900 ms, p99 4.5 s
    assert buckets["1000"] / count == pytest.approx(0.56, abs=0.05)
    assert buckets["5000"] / count > 0.99
    assert buckets["100"] / count < 0.01


def test_sources_without_proxy_report_only_at_the_destination() -> None:
    topology = parse_topology(
        {
            "workloads": [
                {"cluster": "c", "namespace": "ns", "name": "web-v1", "app": "web"},
                {"cluster": "c", "namespace": "ns", "name": "legacy", "sidecar": False},
            ],
            "edges": [
                {"source": "unknown", "service": "web.ns", "rate": 1,
                 "destinations": ["web-v1"]},
                {"source": "web-v1", "service": "legacy.ns", "rate": 1,
                 "destinations": ["legacy"]},
            ],
        }
    )  # fmt: skip
    samples = parse(TelemetryExporter(topology, started_at=0).render(10))
    from_outside = requests_total(samples, destination_workload="web-v1")
    assert [labels["reporter"] for labels, _ in from_outside] == ["destination"]
    outside = from_outside[0][0]
    assert outside["source_workload"] == "unknown"
    assert outside["source_principal"] == "unknown"
    assert outside["connection_security_policy"] == "none"
    to_legacy = requests_total(samples, destination_service_name="legacy")
    assert [labels["reporter"] for labels, _ in to_legacy] == ["source"]
    assert to_legacy[0][0]["destination_workload"] == "unknown"


def test_bad_topologies_name_the_entry_at_fault() -> None:
    with pytest.raises(TopologyError, match=r"edges\[0\].source: no workload 'nope'"):
        parse_topology(
            {"workloads": [], "edges": [{"source": "nope", "service": "a.b", "destinations": []}]}
        )
    with pytest.raises(TopologyError, match="protocol"):
        parse_topology(
            {
                "workloads": [{"cluster": "c", "namespace": "n", "name": "w"}],
                "edges": [{"source": "w", "service": "a.n", "protocol": "udp",
                           "destinations": ["w"]}],
            }
        )  # fmt: skip


def test_the_exporter_serves_over_http_on_loopback() -> None:
    exporter = TelemetryExporter(load_topology(DEMO), started_at=0)
    url = exporter.start()
    try:
        assert url.startswith("http://127.0.0.1:")
        answer = requests.get(f"{url}/metrics?cluster=west", timeout=10)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert 'source_cluster="west"' in answer.text
        assert requests.get(f"{url}/other", timeout=10).status_code == 404
    finally:
        exporter.stop()
        exporter.stop()


def test_the_command_line_serves_a_topology_file() -> None:
    import socket
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "mesh.sim.telemetry", "--topology", str(DEMO), "--port", str(port),
         "--history", "60"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        assert f"http://127.0.0.1:{port}/metrics" in process.stdout.readline()
        answer = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert answer.ok and "istio_requests_total{" in answer.text
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_grpc_errors_keep_http_200_and_carry_the_grpc_status() -> None:
    topology = parse_topology(
        {
            "workloads": [
                {"cluster": "c", "namespace": "n", "name": "a-v1", "app": "a", "version": "v1"},
                {"cluster": "c", "namespace": "n", "name": "b-v1", "app": "b", "version": "v1"},
            ],
            "edges": [
                {
                    "source": "c/n/a-v1",
                    "service": "b.n",
                    "protocol": "grpc",
                    "rate": 10,
                    "codes": {0: 0.9, 14: 0.1},
                    "destinations": [{"workload": "c/n/b-v1"}],
                },
            ],
        }
    )
    samples = parse(TelemetryExporter(topology, started_at=1000.0).render(1000.0 + 600))
    grpc = requests_total(samples, request_protocol="grpc")
    assert {labels["response_code"] for labels, _ in grpc} == {"200"}
    assert {labels["grpc_response_status"] for labels, _ in grpc} == {"0", "14"}


def test_history_written_to_a_file_is_the_text_openmetrics_history_gives(
    demo: TelemetryExporter, tmp_path: Path
) -> None:
    """The demo backfills hours through the file writer, made for size; it must say exactly
    what the in-memory history says, gRPC messages and TCP bytes included."""
    start = demo.started_at + 30
    expected = demo.openmetrics_history(start, start + 300, 30)
    path = tmp_path / "history.om"
    demo.write_openmetrics_history(path, start, start + 300, 30)
    assert path.read_text() == expected
    assert "istio_tcp_sent_bytes_total{" in expected and "istio_request_messages_total{" in expected
    assert not list(tmp_path.glob("*.part"))  # the per-family parts are gone
