"""Istio's standard metrics for a traffic topology written in YAML, served for Prometheus.

The console reads meshes through Prometheus exactly as it would read a real one, so this
exporter emits what Envoy's Istio stats extension emits: the same metric names, the same
label names in the same order, the same placeholder values (`unknown`, `latest`, `-`) and
the same reporter rules. Values are a pure function of the time elapsed since the exporter
started: counters grow with wall-clock time and two renders at the same instant are
identical, so tests that wait for data never depend on luck.

What is reported, and by whom (as Istio does it):

* `reporter="source"` series come from the client's proxy; a source without a proxy (an
  out-of-mesh client, `source: unknown`) reports nothing.
* `reporter="destination"` series come from the server's proxy; a destination without a
  sidecar reports nothing, and the client then sees its workload labels as `unknown`.
* gateways are proxies too: they report as `source` for the traffic they forward.
* `connection_security_policy` is known only to the server (`mutual_tls` / `none`); the
  client reports `unknown`. Principals are spiffe URIs only when the hop uses mutual TLS.
* `version` defaults to `unknown` and `canonical_revision` to `latest` when a workload has
  no version label; `canonical_service` defaults to the app, then to the workload name.
* HTTP and gRPC requests carry `response_code` and `grpc_response_status` (empty for plain
  HTTP, which Prometheus stores as an absent label); TCP metrics carry neither.

Topology file format::

    trust_domain: cluster.local        # optional; principals are spiffe://<td>/ns/<ns>/sa/<sa>
    workloads:
      - cluster: east
        namespace: bookinfo
        name: reviews-v2
        app: reviews                   # optional (no app label -> unknown)
        version: v2                    # optional (no version label -> unknown / latest)
        service_account: bookinfo-reviews   # optional, default "default"
        sidecar: true                  # optional, default true; false = no proxy, no reports
    edges:
      - source: east/bookinfo/productpage-v1   # cluster/namespace/name, namespace/name or
                                               # name when unique; or "unknown"
        service: reviews.bookinfo      # <service>.<namespace> the client calls
        protocol: http                 # http (default) | grpc | tcp
        rate: 10                       # requests per second (tcp: connections per second)
        mtls: true                     # optional, default true
        codes: {200: 0.9, 503: 0.1}    # http: response codes; grpc: grpc status codes
                                       # (sent with response_code 200); weights normalised
        latency: {p50: 20, p99: 200}   # milliseconds, a log-normal fitted to both quantiles
        request_bytes: 400             # median request body (tcp: bytes per connection)
        response_bytes: 4000           # median response body (tcp: bytes per connection)
        messages: 1                    # grpc only: messages per request each way
        connection_seconds: 10         # tcp only: how long each connection stays open
        response_flags: {503: UF}      # optional Envoy flags per code, default "-"
        destinations:                  # the workloads behind the service, with weights
          - workload: east/bookinfo/reviews-v2
            weight: 1
            codes: ...                 # any of codes, latency, request_bytes,
                                       # response_bytes, response_flags overrides the edge

Cross-cluster traffic is written by naming a destination workload in another cluster; the
source's proxy then reports `destination_cluster` as that cluster, and the destination's
proxy reports `source_cluster` as the client's.

The HTTP server answers `/metrics` (every proxy of every cluster) and
`/metrics?cluster=<name>` (only the proxies running in that cluster), so one exporter can
stand in for one Prometheus per cluster as well as for a federated one.
"""

from __future__ import annotations

import argparse
import math
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

# Envoy's default histogram buckets; Istio keeps them for durations and sizes alike.
DEFAULT_BUCKETS: tuple[float, ...] = (
    0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
    300000, 600000, 1800000, 3600000,
)  # fmt: skip

# The label names of Istio's request metrics, in the order Envoy writes them.
REQUEST_LABELS: tuple[str, ...] = (
    "reporter",
    "source_workload",
    "source_canonical_service",
    "source_canonical_revision",
    "source_workload_namespace",
    "source_principal",
    "source_app",
    "source_version",
    "source_cluster",
    "destination_workload",
    "destination_workload_namespace",
    "destination_principal",
    "destination_app",
    "destination_version",
    "destination_service",
    "destination_canonical_service",
    "destination_canonical_revision",
    "destination_service_name",
    "destination_service_namespace",
    "destination_cluster",
    "request_protocol",
    "response_code",
    "grpc_response_status",
    "response_flags",
    "connection_security_policy",
)
TCP_LABELS: tuple[str, ...] = tuple(
    name for name in REQUEST_LABELS if name not in ("response_code", "grpc_response_status")
)

UNKNOWN = "unknown"
_Z99 = 2.3263478740408408  # the standard normal's 99th percentile
_SIZE_SIGMA = 0.5  # spread of body sizes around their median


class TopologyError(ValueError):
    """A topology file that cannot be used; the message names the entry at fault."""


@dataclass(frozen=True)
class Workload:
    cluster: str
    namespace: str
    name: str
    app: str = ""
    version: str = ""
    service_account: str = "default"
    sidecar: bool = True

    @property
    def key(self) -> str:
        return f"{self.cluster}/{self.namespace}/{self.name}"

    @property
    def canonical_service(self) -> str:
        return self.app or self.name

    @property
    def canonical_revision(self) -> str:
        return self.version or "latest"


@dataclass(frozen=True)
class LogNormal:
    """A positive distribution given by its median and spread (of the logarithm)."""

    median: float
    sigma: float

    @classmethod
    def from_quantiles(cls, p50: float, p99: float) -> LogNormal:
        if p50 <= 0 or p99 < p50:
            raise ValueError("latency needs 0 < p50 <= p99")
        return cls(p50, math.log(p99 / p50) / _Z99)

    def cdf(self, x: float) -> float:
        if x <= 0:
            return 0.0
        if self.sigma == 0:
            return 1.0 if x >= self.median else 0.0
        z = math.log(x / self.median) / self.sigma
        return 0.5 * (1 + math.erf(z / math.sqrt(2)))

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)


@dataclass(frozen=True)
class Traffic:
    """How one destination workload answers: code mix, latency, sizes."""

    codes: dict[str, float]
    latency: LogNormal
    request_bytes: float
    response_bytes: float
    response_flags: dict[str, str]


@dataclass(frozen=True)
class Destination:
    workload: Workload
    weight: float
    traffic: Traffic


@dataclass(frozen=True)
class Edge:
    source: Workload | None  # None: a client outside the mesh
    service: str
    service_namespace: str
    protocol: str
    rate: float
    mtls: bool
    messages: float
    connection_seconds: float
    destinations: tuple[Destination, ...]


@dataclass(frozen=True)
class Topology:
    workloads: tuple[Workload, ...]
    edges: tuple[Edge, ...]
    trust_domain: str = "cluster.local"
    clusters: tuple[str, ...] = field(default=())


# --- loading ---------------------------------------------------------------------------------


def _number(raw: Any, where: str, *, positive: bool = False) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise TopologyError(f"{where}: expected a number, got {raw!r}")
    if raw < 0 or (positive and raw == 0):
        raise TopologyError(f"{where}: must be {'positive' if positive else 'zero or more'}")
    return float(raw)


def _codes(raw: Any, where: str) -> dict[str, float]:
    if not isinstance(raw, dict) or not raw:
        raise TopologyError(f"{where}: expected a mapping of code to share, e.g. {{200: 1}}")
    shares = {str(code): _number(share, f"{where}.{code}") for code, share in raw.items()}
    total = sum(shares.values())
    if total <= 0:
        raise TopologyError(f"{where}: the shares add up to zero")
    return {code: share / total for code, share in shares.items() if share > 0}


def _traffic(raw: Mapping[str, Any], base: Traffic | None, protocol: str, where: str) -> Traffic:
    default_code = "0" if protocol == "grpc" else "200"
    codes = _codes(raw["codes"], f"{where}.codes") if "codes" in raw else None
    latency = None
    if "latency" in raw:
        spec = raw["latency"]
        if not isinstance(spec, dict) or "p50" not in spec:
            raise TopologyError(f"{where}.latency: expected {{p50: ms, p99: ms}}")
        p50 = _number(spec["p50"], f"{where}.latency.p50", positive=True)
        p99 = _number(spec.get("p99", p50), f"{where}.latency.p99", positive=True)
        try:
            latency = LogNormal.from_quantiles(p50, p99)
        except ValueError as exc:
            raise TopologyError(f"{where}.latency: {exc}") from None
    flags = raw.get("response_flags")
    if flags is not None and not isinstance(flags, dict):
        raise TopologyError(f"{where}.response_flags: expected a mapping of code to flags")
    return Traffic(
        codes=codes or (base.codes if base else {default_code: 1.0}),
        latency=latency or (base.latency if base else LogNormal(10.0, 0.5)),
        request_bytes=_number(raw["request_bytes"], f"{where}.request_bytes")
        if "request_bytes" in raw
        else (base.request_bytes if base else 256.0),
        response_bytes=_number(raw["response_bytes"], f"{where}.response_bytes")
        if "response_bytes" in raw
        else (base.response_bytes if base else 2048.0),
        response_flags={str(k): str(v) for k, v in flags.items()}
        if flags is not None
        else (base.response_flags if base else {}),
    )


def _workloads(raw: Any) -> tuple[Workload, ...]:
    if not isinstance(raw, list):
        raise TopologyError("workloads: expected a list")
    result = []
    for i, item in enumerate(raw):
        where = f"workloads[{i}]"
        if not isinstance(item, dict):
            raise TopologyError(f"{where}: expected a mapping")
        missing = [k for k in ("cluster", "namespace", "name") if not item.get(k)]
        if missing:
            raise TopologyError(f"{where}: missing {', '.join(missing)}")
        result.append(
            Workload(
                cluster=str(item["cluster"]),
                namespace=str(item["namespace"]),
                name=str(item["name"]),
                app=str(item.get("app") or ""),
                version=str(item.get("version") or ""),
                service_account=str(item.get("service_account") or "default"),
                sidecar=bool(item.get("sidecar", True)),
            )
        )
    keys = [w.key for w in result]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise TopologyError(f"workloads: defined twice: {', '.join(duplicates)}")
    return tuple(result)


def _resolver(workloads: tuple[Workload, ...]) -> Any:
    by_ref: dict[str, list[Workload]] = {}
    for w in workloads:
        for ref in (w.key, f"{w.namespace}/{w.name}", w.name):
            by_ref.setdefault(ref, []).append(w)

    def resolve(ref: Any, where: str) -> Workload:
        matches = by_ref.get(str(ref), [])
        if not matches:
            raise TopologyError(f"{where}: no workload {ref!r}")
        if len(matches) > 1:
            raise TopologyError(f"{where}: {ref!r} is ambiguous; write cluster/namespace/name")
        return matches[0]

    return resolve


def _edge(raw: Any, i: int, resolve: Any) -> Edge:
    where = f"edges[{i}]"
    if not isinstance(raw, dict):
        raise TopologyError(f"{where}: expected a mapping")
    source_ref = raw.get("source")
    source = None if source_ref in (None, UNKNOWN) else resolve(source_ref, f"{where}.source")
    service = str(raw.get("service") or "")
    if service.count(".") != 1:
        raise TopologyError(f"{where}.service: expected <service>.<namespace>, got {service!r}")
    name, namespace = service.split(".")
    protocol = str(raw.get("protocol", "http"))
    if protocol not in ("http", "grpc", "tcp"):
        raise TopologyError(f"{where}.protocol: expected http, grpc or tcp")
    base = _traffic(raw, None, protocol, where)
    targets = raw.get("destinations")
    if not isinstance(targets, list) or not targets:
        raise TopologyError(f"{where}.destinations: expected a non-empty list")
    destinations = []
    for j, target in enumerate(targets):
        twhere = f"{where}.destinations[{j}]"
        if not isinstance(target, dict):
            target = {"workload": target}
        destinations.append(
            Destination(
                workload=resolve(target.get("workload"), f"{twhere}.workload"),
                weight=_number(target.get("weight", 1), f"{twhere}.weight"),
                traffic=_traffic(target, base, protocol, twhere),
            )
        )
    if sum(d.weight for d in destinations) <= 0:
        raise TopologyError(f"{where}.destinations: the weights add up to zero")
    return Edge(
        source=source,
        service=name,
        service_namespace=namespace,
        protocol=protocol,
        rate=_number(raw.get("rate", 1), f"{where}.rate"),
        mtls=bool(raw.get("mtls", True)),
        messages=_number(raw.get("messages", 1), f"{where}.messages"),
        connection_seconds=_number(
            raw.get("connection_seconds", 10), f"{where}.connection_seconds"
        ),
        destinations=tuple(destinations),
    )


def parse_topology(document: Any) -> Topology:
    """Type a parsed YAML document; TopologyError names the entry at fault."""
    if not isinstance(document, dict):
        raise TopologyError("expected a mapping with workloads and edges")
    workloads = _workloads(document.get("workloads") or [])
    resolve = _resolver(workloads)
    edges = tuple(_edge(raw, i, resolve) for i, raw in enumerate(document.get("edges") or []))
    clusters = tuple(sorted({w.cluster for w in workloads}))
    trust_domain = str(document.get("trust_domain") or "cluster.local")
    return Topology(workloads, edges, trust_domain, clusters)


def load_topology(path: str | Path) -> Topology:
    try:
        document = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise TopologyError(f"{path}: {exc}") from None
    try:
        return parse_topology(document)
    except TopologyError as exc:
        raise TopologyError(f"{path}: {exc}") from None


# --- series ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Series:
    """One label set of one edge, code and reporter, with the share of the edge's rate."""

    reporting_cluster: str
    labels: str  # the rendered `{...}` body without the closing brace
    rate: float  # requests (or connections) per second for this label set
    traffic: Traffic
    edge: Edge


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _principal(topology: Topology, workload: Workload | None, mtls: bool) -> str:
    if workload is None or not mtls:
        return UNKNOWN
    return f"spiffe://{topology.trust_domain}/ns/{workload.namespace}/sa/{workload.service_account}"


def _side(prefix: str, workload: Workload | None, known: bool) -> dict[str, str]:
    if workload is None or not known:
        return {
            f"{prefix}_workload": UNKNOWN,
            f"{prefix}_canonical_service": UNKNOWN,
            f"{prefix}_canonical_revision": "latest",
            f"{prefix}_workload_namespace": UNKNOWN,
            f"{prefix}_app": UNKNOWN,
            f"{prefix}_version": UNKNOWN,
            f"{prefix}_cluster": UNKNOWN,
        }
    return {
        f"{prefix}_workload": workload.name,
        f"{prefix}_canonical_service": workload.canonical_service,
        f"{prefix}_canonical_revision": workload.canonical_revision,
        f"{prefix}_workload_namespace": workload.namespace,
        f"{prefix}_app": workload.app or UNKNOWN,
        f"{prefix}_version": workload.version or UNKNOWN,
        f"{prefix}_cluster": workload.cluster,
    }


def _label_sets(topology: Topology, edge: Edge, dest: Destination) -> Iterator[_Series]:
    total_weight = sum(d.weight for d in edge.destinations)
    share = edge.rate * dest.weight / total_weight
    source, target = edge.source, dest.workload
    reporters = []
    if source is not None and source.sidecar:
        reporters.append(("source", source.cluster))
    if target.sidecar:
        reporters.append(("destination", target.cluster))
    # Peer metadata is exchanged only between two proxies; mTLS needs both as well.
    both_proxies = source is not None and source.sidecar and target.sidecar
    mtls = edge.mtls and both_proxies
    fqdn = f"{edge.service}.{edge.service_namespace}.svc.cluster.local"
    codes = dest.traffic.codes if edge.protocol != "tcp" else {"": 1.0}
    for reporter, cluster in reporters:
        for code, code_share in codes.items():
            labels = {"reporter": reporter}
            labels.update(_side("source", source, source is not None and source.sidecar))
            labels["source_principal"] = _principal(topology, source, mtls)
            labels.update(_side("destination", target, target.sidecar and bool(source)))
            if reporter == "destination":
                labels.update(_side("destination", target, True))
            labels["destination_principal"] = _principal(topology, target, mtls)
            labels["destination_service"] = fqdn
            labels["destination_service_name"] = edge.service
            labels["destination_service_namespace"] = edge.service_namespace
            labels["request_protocol"] = edge.protocol
            if edge.protocol == "grpc":
                labels["response_code"] = "200"
                labels["grpc_response_status"] = code
            elif edge.protocol == "http":
                labels["response_code"] = code
                labels["grpc_response_status"] = ""
            labels["response_flags"] = dest.traffic.response_flags.get(code, "-")
            if reporter == "source":
                labels["connection_security_policy"] = UNKNOWN
            else:
                labels["connection_security_policy"] = "mutual_tls" if mtls else "none"
            order = TCP_LABELS if edge.protocol == "tcp" else REQUEST_LABELS
            body = ",".join(f'{name}="{_escape(labels[name])}"' for name in order)
            yield _Series(cluster, body, share * code_share, dest.traffic, edge)


def _fmt(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _le(bound: float) -> str:
    return f"{bound:g}"


_HELP = {
    "istio_requests_total": "counter",
    "istio_request_duration_milliseconds": "histogram",
    "istio_request_bytes": "histogram",
    "istio_response_bytes": "histogram",
    "istio_request_messages_total": "counter",
    "istio_response_messages_total": "counter",
    "istio_tcp_sent_bytes_total": "counter",
    "istio_tcp_received_bytes_total": "counter",
    "istio_tcp_connections_opened_total": "counter",
    "istio_tcp_connections_closed_total": "counter",
}


class TelemetryExporter:
    """Serves the topology's metrics; values depend only on time since `started_at`.

    Pass `started_at` in the past to start with history already "accumulated" (a demo that
    shows rates at once), or render(now) directly in tests without any server.
    """

    def __init__(self, topology: Topology, *, started_at: float | None = None) -> None:
        self.topology = topology
        self.started_at = time.time() if started_at is None else started_at
        self._series = [
            series
            for edge in topology.edges
            for dest in edge.destinations
            for series in _label_sets(topology, edge, dest)
        ]
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def series_count(self) -> int:
        """How many label sets of istio_requests_total/tcp metrics the topology produces."""
        return len(self._series)

    def render(self, now: float, cluster: str | None = None) -> str:
        """The exposition text at wall-clock time `now`, optionally one cluster's proxies only."""
        parts = []
        for name, lines in self._samples(now, cluster).items():
            if lines:
                parts.append(f"# TYPE {name} {_HELP[name]}")
                parts.extend(lines)
        return "\n".join(parts) + "\n" if parts else ""

    def openmetrics_history(self, start: float, end: float, step: float = 15.0) -> str:
        """OpenMetrics text with timestamps from start to end, for `promtool` backfilling.

        Lets a test or the demo query hours of history at once instead of waiting for scrapes.
        """
        families: dict[str, list[str]] = {name: [] for name in _HELP}
        steps = int((end - start) // step)
        for i in range(steps + 1):
            at = start + i * step
            for name, lines in self._samples(at).items():
                families[name].extend(f"{line} {at:.3f}" for line in lines)
        parts = []
        for name, lines in families.items():
            if lines:
                kind = _HELP[name]
                family = name.removesuffix("_total") if kind == "counter" else name
                parts.append(f"# TYPE {family} {kind}")
                parts.extend(lines)
        parts.append("# EOF")
        return "\n".join(parts) + "\n"

    def write_openmetrics_history(
        self, path: Path, start: float, end: float, step: float = 15.0
    ) -> None:
        """The same text as openmetrics_history, written to `path` without holding it: three
        hours of the demo are a gigabyte. Each series' line prefixes and bucket fractions are
        worked out once, so a step only formats numbers; each family goes to a part file of
        its own first, since OpenMetrics wants a family's samples together."""
        names = list(_HELP)
        parts = {name: path.with_name(f"{path.name}.{i}.part") for i, name in enumerate(names)}
        files = {name: parts[name].open("w") for name in names}
        try:
            writers = [self._history_writer(s, files) for s in self._series]
            for i in range(int((end - start) // step) + 1):
                at = start + i * step
                stamp = f" {at:.3f}\n"
                elapsed = max(0.0, at - self.started_at)
                for write in writers:
                    write(elapsed, stamp)
        finally:
            for handle in files.values():
                handle.close()
        with path.open("w") as out:
            for name in names:
                if parts[name].stat().st_size:
                    kind = _HELP[name]
                    family = name.removesuffix("_total") if kind == "counter" else name
                    out.write(f"# TYPE {family} {kind}\n")
                    with parts[name].open() as part:
                        shutil.copyfileobj(part, out, 1 << 20)
                parts[name].unlink()
            out.write("# EOF\n")

    def _history_writer(self, s: _Series, files: dict[str, Any]) -> Callable[[float, str], None]:
        """A function writing one series' samples at `elapsed` seconds, as _samples does."""
        if s.edge.protocol == "tcp":

            def tcp(elapsed: float, stamp: str) -> None:
                if math.floor(s.rate * elapsed) <= 0:
                    return
                out: dict[str, list[str]] = {name: [] for name in _HELP}
                self._tcp(out, s, elapsed)
                for name, lines in out.items():
                    for line in lines:
                        files[name].write(line + stamp)

            return tcp
        requests = files["istio_requests_total"]
        request_prefix = f"istio_requests_total{{{s.labels}}} "
        traffic = s.traffic
        histograms = []
        for name, dist in (
            ("istio_request_duration_milliseconds", traffic.latency),
            ("istio_request_bytes", LogNormal(traffic.request_bytes or 1, _SIZE_SIGMA)),
            ("istio_response_bytes", LogNormal(traffic.response_bytes or 1, _SIZE_SIGMA)),
        ):
            buckets = [
                (f'{name}_bucket{{{s.labels},le="{_le(bound)}"}} ', dist.cdf(bound))
                for bound in DEFAULT_BUCKETS
            ]
            histograms.append(
                (
                    files[name],
                    buckets,
                    f'{name}_bucket{{{s.labels},le="+Inf"}} ',
                    f"{name}_sum{{{s.labels}}} ",
                    dist.mean,
                    f"{name}_count{{{s.labels}}} ",
                )
            )
        messages = (
            [
                (files[name], f"{name}{{{s.labels}}} ")
                for name in ("istio_request_messages_total", "istio_response_messages_total")
            ]
            if s.edge.protocol == "grpc"
            else []
        )

        def http(elapsed: float, stamp: str) -> None:
            count = math.floor(s.rate * elapsed)
            if count <= 0:
                return
            total = str(count)
            requests.write(request_prefix + total + stamp)
            for handle, buckets, inf, sum_prefix, mean, count_prefix in histograms:
                handle.write(
                    "".join(
                        [
                            *(p + str(math.floor(count * f)) + stamp for p, f in buckets),
                            inf + total + stamp,
                            sum_prefix + _fmt(round(count * mean, 3)) + stamp,
                            count_prefix + total + stamp,
                        ]
                    )
                )
            if messages:
                sent = str(math.floor(count * s.edge.messages))
                for handle, prefix in messages:
                    handle.write(prefix + sent + stamp)

        return http

    def _samples(self, now: float, cluster: str | None = None) -> dict[str, list[str]]:
        elapsed = max(0.0, now - self.started_at)
        out: dict[str, list[str]] = {name: [] for name in _HELP}
        for s in self._series:
            if cluster is not None and s.reporting_cluster != cluster:
                continue
            count = math.floor(s.rate * elapsed)
            if count <= 0:
                continue  # Envoy creates a series at its first request, not before
            if s.edge.protocol == "tcp":
                self._tcp(out, s, elapsed)
                continue
            out["istio_requests_total"].append(f"istio_requests_total{{{s.labels}}} {count}")
            traffic = s.traffic
            sizes = (
                ("istio_request_duration_milliseconds", traffic.latency),
                ("istio_request_bytes", LogNormal(traffic.request_bytes or 1, _SIZE_SIGMA)),
                ("istio_response_bytes", LogNormal(traffic.response_bytes or 1, _SIZE_SIGMA)),
            )
            for name, dist in sizes:
                lines = out[name]
                for bound in DEFAULT_BUCKETS:
                    lines.append(
                        f'{name}_bucket{{{s.labels},le="{_le(bound)}"}} '
                        f"{math.floor(count * dist.cdf(bound))}"
                    )
                lines.append(f'{name}_bucket{{{s.labels},le="+Inf"}} {count}')
                lines.append(f"{name}_sum{{{s.labels}}} {_fmt(round(count * dist.mean, 3))}")
                lines.append(f"{name}_count{{{s.labels}}} {count}")
            if s.edge.protocol == "grpc":
                messages = math.floor(count * s.edge.messages)
                for name in ("istio_request_messages_total", "istio_response_messages_total"):
                    out[name].append(f"{name}{{{s.labels}}} {messages}")
        return out

    @staticmethod
    def _tcp(out: dict[str, list[str]], s: _Series, elapsed: float) -> None:
        opened = math.floor(s.rate * elapsed)
        closed = math.floor(s.rate * max(0.0, elapsed - s.edge.connection_seconds))
        received = math.floor(s.rate * elapsed * s.traffic.request_bytes)
        sent = math.floor(s.rate * elapsed * s.traffic.response_bytes)
        for name, value in (
            ("istio_tcp_sent_bytes_total", sent),
            ("istio_tcp_received_bytes_total", received),
            ("istio_tcp_connections_opened_total", opened),
            ("istio_tcp_connections_closed_total", closed),
        ):
            if name != "istio_tcp_connections_closed_total" or value > 0:
                out[name].append(f"{name}{{{s.labels}}} {value}")

    # --- serving ---------------------------------------------------------------------------

    def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (a free port when 0); returns the base URL."""
        with self._lock:
            if self._server is not None:
                return self.url
            exporter = self

            class Handler(BaseHTTPRequestHandler):
                def do_GET(self) -> None:
                    parts = urlsplit(self.path)
                    if parts.path not in ("/metrics", "/stats/prometheus"):
                        self.send_error(404)
                        return
                    cluster = parse_qs(parts.query).get("cluster", [None])[0]
                    body = exporter.render(time.time(), cluster).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

                def log_message(self, format: str, *args: Any) -> None:
                    pass  # one line per scrape would drown the test output

            self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
            self._server.daemon_threads = True
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="telemetry-exporter", daemon=True
            )
            self._thread.start()
            return self.url

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the exporter is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        with self._lock:
            server, self._server = self._server, None
            if server is None:
                return
            server.shutdown()
            server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
                self._thread = None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--topology", required=True, help="the traffic topology YAML file")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument(
        "--history",
        type=float,
        default=0,
        help="seconds of traffic to pretend already happened, so rates show at once",
    )
    args = parser.parse_args(argv)
    topology = load_topology(args.topology)
    exporter = TelemetryExporter(topology, started_at=time.time() - args.history)
    url = exporter.start(args.port)
    print(f"serving {exporter.series_count} label sets at {url}/metrics", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        exporter.stop()


if __name__ == "__main__":
    main()
