"""Graph benchmark, in two sizes, backfilled into a real Prometheus. Prints figures; asserts
nothing about time.

- 1,000 workloads and 5,000 edges over 2 clusters (targets: build < 500 ms, peak memory
  < 300 MB, total within 1.2x of the queries' own time).
- The whole mesh: 2 clusters x 250 namespaces x 20 workloads, 25,000 edges, as ONE graph of
  all 500 namespaces (targets: within 1.2x of the queries' own time, peak memory < 500 MB).
  Its Prometheus also holds each HTTP/gRPC series' request duration histogram, as a real
  mesh's does, which brings it to about a million series; the graph reads none of them, but
  Prometheus looks through them to answer. The small size goes without, so that its figures
  stay comparable with earlier runs.

The endpoint and its own queries sent straight to Prometheus are timed alternately, twice:
sharing this machine's two cores with Prometheus (whose 12 queries of the small size take
about 1.5 cores for their whole run, so every millisecond of console CPU slows them down),
and with Prometheus and the console on a core each, as when they are deployed apart. Each
line gives the CPU a call costs both processes, which bounds what the wall time can be.

Peak memory is tracemalloc's (Python's allocations in build + JSON) and the process' own:
how far a fresh process's resident set rises during its first graph endpoint call (queries
and their answers, build, JSON, encoding).

Run with: .venv/bin/pytest tests/bench/test_graph_bench.py -s -p no:cacheprovider
(`-k 1k` or `-k whole-mesh` for one size)
"""

from __future__ import annotations

import contextlib
import gc
import json
import multiprocessing
import os
import random
import shutil
import statistics
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import django
import pytest
import requests

from kiali_site.config import PrometheusConfig
from mesh.graph import build as build_module
from mesh.graph.engine import GraphRequest, build_graph, graph_document, plan, prometheus_query
from mesh.graph.options import parse_options
from mesh.graph.queries import GB_MSG
from mesh.graph.render import to_json
from mesh.prometheus.client import PrometheusClient
from mesh.sim.prometheus_server import backfill, start_prometheus

pytestmark = pytest.mark.prometheus

CLUSTERS = ("east", "west")
LABELS = GB_MSG.split(",")
# Istio's default buckets for istio_request_duration_milliseconds, in ms.
DURATION_BUCKETS = (0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000)
DURATION_BUCKETS += (60000, 300000, 600000, 1800000, 3600000)
# Prometheus' default --query.max-concurrency: more queries at once only wait in its queue.
PROMETHEUS_CONCURRENCY = 20


@dataclass(frozen=True)
class MeshSize:
    name: str
    namespaces: int  # over both clusters, alternately
    workloads: int  # spread over the namespaces in turn
    edges: int
    histograms: bool = False  # each HTTP/gRPC series' request duration histogram too
    pairs: int = 25  # endpoint and queries timed alternately this many times per setting
    timeout: int = 300  # seconds, setup included (pytest-timeout's default is 300)

    @property
    def namespace_names(self) -> list[str]:
        width = max(2, len(str(self.namespaces - 1)))
        return [f"ns{i:0{width}d}" for i in range(self.namespaces)]


SIZES = (
    MeshSize("1k", namespaces=20, workloads=1000, edges=5000),
    MeshSize(
        "whole-mesh",
        namespaces=500,
        workloads=10_000,
        edges=25_000,
        histograms=True,
        pairs=5,
        timeout=1200,  # its setup alone takes 2-3 minutes
    ),
)


def topology(
    size: MeshSize, seed: int = 7
) -> tuple[list[tuple[str, str, str]], list[tuple[int, int, str]]]:
    rng = random.Random(seed)
    names = size.namespace_names
    workloads = []
    for i in range(size.workloads):
        ns = i % size.namespaces
        workloads.append((CLUSTERS[ns % 2], names[ns], f"wl{i:04d}"))
    edges: set[tuple[int, int, str]] = set()
    while len(edges) < size.edges:
        a = rng.randrange(size.workloads)
        # mostly within the namespace, some across namespaces (and so across clusters)
        b = (
            a + size.namespaces * rng.randint(1, 5)
            if rng.random() < 0.8
            else rng.randrange(size.workloads)
        )
        b %= size.workloads
        if a == b:
            continue
        roll = rng.random()
        edges.add((a, b, "tcp" if roll < 0.1 else "grpc" if roll < 0.2 else "http"))
    return workloads, sorted(edges)


def openmetrics(size: MeshSize, now: float) -> Iterator[str]:
    """The mesh's last ten minutes, a sample a minute, one series' lines at a time."""
    workloads, edges = topology(size)
    points = [now - 600 + 60 * k for k in range(11)]

    def lines(name: str, labels: str, per_second: float, digits: int, every: int = 1) -> str:
        return "".join(
            f"{name}{labels} {per_second * (t - points[0]):.{digits}f} {t:.0f}\n"
            for t in points[::every]
        )

    def edge_labels() -> Iterator[tuple[str, int, str]]:
        for a, b, protocol in edges:
            sc, sns, swl = workloads[a]
            dc, dns, dwl = workloads[b]
            svc = dwl.replace("wl", "svc")
            values = [
                sc,
                sns,
                swl,
                swl,
                "v1",
                dc,
                dns,
                f"{svc}.{dns}.svc.cluster.local",
                svc,
                dns,
                dwl,
                dwl,
                "v1",
            ]
            yield protocol, b, ",".join(f'{k}="{v}"' for k, v in zip(LABELS, values, strict=True))

    def request_series() -> Iterator[tuple[str, float]]:
        """(labels without the closing brace, requests per second) of each HTTP/gRPC series."""
        for protocol, b, base in edge_labels():
            if protocol == "tcp":
                continue
            for reporter in ("source", "destination"):
                codes = [("200", 0.95), ("503", 0.05)] if b % 7 == 0 else [("200", 1.0)]
                for code, share in codes:
                    grpc = ',grpc_response_status="0"' if protocol == "grpc" else ""
                    labels = (
                        f'{{reporter="{reporter}",{base},request_protocol="{protocol}",'
                        f'response_code="{code}"{grpc},response_flags="-"'
                    )
                    yield labels, 2 * share

    # OpenMetrics wants each family's samples together.
    yield "# TYPE istio_requests counter\n"
    for labels, rate in request_series():
        yield lines("istio_requests_total", labels + "}", rate, 3)
    yield "# TYPE istio_tcp_received_bytes counter\n"
    for protocol, _, base in edge_labels():
        if protocol == "tcp":
            for reporter in ("source", "destination"):
                labels = f'{{app="x",reporter="{reporter}",{base},response_flags="-"}}'
                yield lines("istio_tcp_received_bytes_total", labels, 1000, 0)
    if size.histograms:
        # The graph never reads these: Prometheus only looks through their index entries,
        # which is what they are here for. A sample every five minutes instead of every
        # minute makes promtool's input (gigabytes) and its time and memory a third.
        name = "istio_request_duration_milliseconds"
        yield f"# TYPE {name} histogram\n"
        for labels, rate in request_series():
            for le in DURATION_BUCKETS:
                # latencies spread roughly exponentially around 50 ms
                share = 1 - 0.5 ** (le / 50)
                yield lines(f"{name}_bucket", f'{labels},le="{le}"}}', rate * share, 3, 5)
            yield lines(f"{name}_bucket", f'{labels},le="+Inf"}}', rate, 3, 5)
            yield lines(f"{name}_sum", labels + "}", rate * 60, 3, 5)
            yield lines(f"{name}_count", labels + "}", rate, 3, 5)
    yield "# EOF\n"


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(size, id=size.name, marks=pytest.mark.timeout(size.timeout)) for size in SIZES
    ],
)
def synthetic_prometheus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    size: MeshSize = request.param
    workdir = tmp_path_factory.mktemp(f"graph-bench-{size.name}")
    now = time.time() - 30
    started = time.perf_counter()
    # Counted as they are written: asking Prometheus takes it 20 s on the whole mesh.
    series: Counter[str] = Counter()

    def counted(chunks: Iterator[str]) -> Iterator[str]:
        for chunk in chunks:
            if not chunk.startswith("#"):
                series[chunk.partition("{")[0]] += 1
            yield chunk

    backfill(Path(workdir), counted(openmetrics(size, now)))
    backfilled = time.perf_counter() - started
    running = start_prometheus(Path(workdir), [], retention="2d")
    print(
        f"\n[{size.name}] backfill + start: {time.perf_counter() - started:.1f}s "
        f"(generating and promtool {backfilled:.1f}s)"
    )
    yield size, series, running, int(now), started
    running.stop()
    shutil.rmtree(workdir / "data", ignore_errors=True)  # a quarter of a gigabyte, whole mesh


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pin(pid: int, cpus: set[int]) -> None:
    """Every thread of a process onto `cpus` (threads made later inherit it)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(int(tid), cpus)


def _status(field: str) -> int:
    """A size from /proc/self/status, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)


def _compare(raw_all, endpoint, prometheus_pid: int, pairs: int = 25) -> float:
    """Alternate the two, so that this machine's drift (its CPU speed varies by a third from
    minute to minute) falls on both alike; print each one's best and median and the CPU a
    call costs Prometheus and the console; return the ratio of the medians.

    Each function returns its own wall time: until the last answer is read, and for the
    endpoint until its body is ready to send. Freeing the graph afterwards (as the API does
    once the bytes are out) is outside the wall time but inside the CPU per call."""
    walls: dict[str, list[float]] = {"queries": [], "endpoint": []}
    cpu = {name: [0.0, 0.0] for name in walls}
    for _ in range(pairs):
        for name, fn in (("queries", raw_all), ("endpoint", endpoint)):
            prom, own = _process_cpu(prometheus_pid), time.process_time()
            walls[name].append(fn())
            cpu[name][0] += _process_cpu(prometheus_pid) - prom
            cpu[name][1] += time.process_time() - own
    labels = {
        "queries": "queries straight to Prometheus",
        "endpoint": "graph endpoint (queries, build, JSON)",
    }
    for name, label in labels.items():
        prom, own = (value / pairs * 1000 for value in cpu[name])
        print(
            f"  {label}: best {min(walls[name]) * 1000:.0f} ms, median "
            f"{statistics.median(walls[name]) * 1000:.0f} ms; CPU per call: Prometheus "
            f"{prom:.0f} ms, console {own:.0f} ms"
        )
    ratio = statistics.median(walls["endpoint"]) / statistics.median(walls["queries"])
    print(f"  endpoint / queries (medians) = {ratio:.2f}x")
    return ratio


def _graph_request(namespaces: list[str], now: int) -> GraphRequest:
    """One graph of all the namespaces, which the caller may all see, in both clusters."""
    opts = parse_options(
        {
            "namespaces": ",".join(namespaces),
            "queryTime": str(now),
            "duration": "5m",
            "appenders": "deadNode,istio,meshCheck,serviceEntry",
        },
    )
    accessible = frozenset((c, ns) for c in CLUSTERS for ns in namespaces)
    return GraphRequest(opts, {ns: opts.duration for ns in namespaces}, accessible)


def _first_graph_memory(url: str, now: int, namespaces: list[str]) -> tuple[int, int]:
    """A fresh process's first graph endpoint call (queries, build, JSON, encoding): its
    resident set before, and at its peak during the call (bytes). Run in a process of its
    own, since in this one the memory earlier graphs freed would be reused unseen."""
    django.setup()
    graph_request = _graph_request(namespaces, now)
    query = prometheus_query(PrometheusClient(PrometheusConfig(url=url)), now)
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # resets the high-water mark, VmHWM
    before = _status("VmRSS")
    graph_document(graph_request, query)
    return before, _status("VmHWM")


def test_graph_figures(synthetic_prometheus):
    size, series, running, now, setup_started = synthetic_prometheus
    namespaces = size.namespace_names
    graph_request = _graph_request(namespaces, now)
    opts, accessible = graph_request.opts, graph_request.accessible
    queries = plan(graph_request)
    one = namespaces[0]
    few = parse_options({"namespaces": one, "queryTime": str(now)})
    compiled = not build_module.__file__.endswith(".py")
    print(f"graph modules: {'compiled (mesh.native)' if compiled else 'Python (no build matches)'}")
    print(
        f"PromQL queries: {len(queries)} for {size.workloads} workloads in {size.namespaces} "
        f"namespaces ({len(plan(GraphRequest(few, {one: 300}, accessible)))} for one namespace)"
    )

    client = PrometheusClient(PrometheusConfig(url=running.url))
    query = prometheus_query(client, now)
    print(
        f"series in Prometheus: {sum(series.values())} "
        f"({', '.join(f'{name} {count}' for name, count in sorted(series.items()))}); "
        f"edges generated: {size.edges}"
    )
    answers = {q.text: query(q.text) for q in queries}  # warm Prometheus' caches too
    samples = sum(len(a) for a in answers.values())

    # The same requests the console sends (uncompressed answers, as its client asks for
    # them), over one pooled session with a connection per query in flight.
    in_flight = min(len(queries), PROMETHEUS_CONCURRENCY)
    session = requests.Session()
    session.headers["Accept-Encoding"] = "identity"
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=in_flight))

    def raw(text: str) -> int:
        r = session.post(
            f"{running.url}/api/v1/query", data={"query": text, "time": now}, timeout=60
        )
        return len(r.json()["data"]["result"])

    def raw_all() -> float:
        # every query at once (up to what Prometheus runs at once): the quickest way to
        # have them all answered
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=in_flight) as pool:
            list(pool.map(raw, [q.text for q in queries]))
        return time.perf_counter() - started

    def endpoint() -> tuple[float, int]:
        started = time.perf_counter()
        document = graph_document(graph_request, query)
        elapsed = time.perf_counter() - started
        document.release()  # as the API's response does once its bytes are sent
        return elapsed, len(document.body)

    pid = running.process.pid
    print("the graph endpoint next to its own queries, sharing this machine's two cores:")
    _compare(raw_all, lambda: endpoint()[0], pid, size.pairs)
    own = os.sched_getaffinity(0)
    if len(own) >= 2:
        # As deployed, where Prometheus and the console have CPUs of their own: Prometheus
        # on one core, this process on another, so neither's work slows the other down.
        first, second, *_ = sorted(own)
        _pin(pid, {first})
        _pin(os.getpid(), {second})
        try:
            print("the same with Prometheus and the console on one core each:")
            _compare(raw_all, lambda: endpoint()[0], pid, size.pairs)
        finally:
            _pin(pid, own)
            _pin(os.getpid(), own)
    endpoint_runs = [endpoint()]

    builds, renders = [], []
    for _ in range(3):
        started = time.perf_counter()
        tmap = build_graph(graph_request, lambda text: answers[text])
        builds.append(time.perf_counter() - started)
        document = to_json(tmap, opts)
        renders.append(time.perf_counter() - started)
    built, rendered = min(builds), min(renders)

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as fresh:
        rss_before, rss_peak = fresh.submit(
            _first_graph_memory, running.url, now, namespaces
        ).result()

    tracemalloc.start()
    document = to_json(build_graph(graph_request, lambda text: answers[text]), opts)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size_bytes = len(json.dumps(document))

    print(
        f"samples: {samples}; nodes {len(document['elements']['nodes'])}, "
        f"edges {len(document['elements']['edges'])}"
    )
    print(
        f"graph build (no Prometheus): {built * 1000:.0f} ms; with JSON: {rendered * 1000:.0f} ms"
    )
    print(f"peak memory (tracemalloc, build + JSON): {peak / 1e6:.1f} MB")
    print(
        f"peak RSS, a fresh process's first graph (queries, build, JSON, encoding): "
        f"+{(rss_peak - rss_before) / 1e6:.1f} MB (from {rss_before / 1e6:.0f} MB "
        f"to {rss_peak / 1e6:.0f} MB)"
    )
    print(f"JSON size: {size_bytes / 1e6:.2f} MB (encoded: {endpoint_runs[0][1] / 1e6:.2f} MB)")
    print(
        f"[{size.name}] end to end (setup + measurement): {time.perf_counter() - setup_started:.0f}s"
    )
    assert len(document["elements"]["edges"]) >= size.edges
