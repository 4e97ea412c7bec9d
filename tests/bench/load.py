"""Simulated users of the demo console, faults on a schedule, and figures per kind of URL.

The load and fault benchmark (test_load_bench.py) drives the console as a browser would: a
`requests.Session` per user, logged in through the login page, asking for the pages, the
graph's JSON, the metrics tabs and their JSON and the health API, with a pause between
clicks. Every request has a client timeout, so a hung console shows up as a figure (its
status reads `timeout`) rather than as a stuck benchmark.

Faults are the demo's own processes frozen with SIGSTOP and resumed with SIGCONT: a frozen
process keeps its sockets open and accepts connections but never answers, which is how a
dependency that hangs (rather than one that is plainly down) looks to the console.
"""

from __future__ import annotations

import contextlib
import html
import json
import math
import os
import random
import re
import signal
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import requests

from tests.plugins.demo import descendants

CLIENT_TIMEOUT = 30.0
# A person reads a page before the next click; without a pause 50 threads measure how the
# console queues a flood, not what 50 people see.
THINK_SECONDS = (0.5, 2.0)
DEMO_NAMESPACES = ("bookinfo", "ecommerce", "sample")
# Kinds whose answers are HTML pages, where the console promises never to answer 5xx.
PAGE_KINDS = ("page", "detail", "metrics-tab")


@dataclass(frozen=True)
class Target:
    """One URL a user asks for: what kind of request it is, how often a user asks for it
    (relative weight), and which of the demo's processes it cannot do without."""

    kind: str
    path: str
    weight: float
    needs: frozenset[str] = frozenset()
    htmx: bool = False
    # Text a complete answer holds (a pod's name, say): a degraded page may answer 200.
    expect: str = ""
    # Its complete answer shows that what it needs is back: asked by the recovery probe.
    probe: bool = False

    def headers(self) -> dict[str, str]:
        if self.htmx:  # an HTMX tab swap: the console answers with the tab's partial
            return {"HX-Request": "true", "HX-Target": "detail-content"}
        if self.path.startswith("/api/"):
            return {"Accept": "application/json"}
        return {"Accept": "text/html"}


@dataclass(frozen=True)
class Sample:
    """One request: when it started (seconds since its phase began), how long it took, the
    HTTP status or `timeout` / `conn-error`, and whether the answer held what was asked."""

    target: Target
    started: float
    seconds: float
    status: str
    complete: bool

    @property
    def ended(self) -> float:
        return self.started + self.seconds


def login(base: str) -> requests.Session:
    """A user opening the console: the login page, which in the demo's anonymous mode sends
    them on to the Overview with their session cookie."""
    session = requests.Session()
    answer = session.get(f"{base}/login/?next=/overview/", timeout=CLIENT_TIMEOUT)
    assert answer.status_code == 200, f"login answered {answer.status_code}"
    return session


def complete_answer(target: Target, answer: requests.Response) -> bool:
    """A 200 that carries what was asked: a graph with nodes, metrics with series. A console
    that degrades may answer 200 with an empty graph while Prometheus hangs; that is not
    yet a recovery."""
    if answer.status_code != 200 or target.expect not in answer.text:
        return False
    try:
        if target.kind == "graph-api":
            return bool(answer.json().get("elements", {}).get("nodes"))
        if target.kind == "metrics-api":
            return any(answer.json().values())
    except ValueError:  # not JSON: an error page where JSON was asked for
        return False
    return True


def fetch(session: requests.Session, base: str, target: Target, clock: float) -> Sample:
    started = time.monotonic()
    try:
        answer = session.get(
            base + target.path,
            headers=target.headers(),
            timeout=CLIENT_TIMEOUT,
            allow_redirects=False,
        )
        status, complete = str(answer.status_code), complete_answer(target, answer)
    except requests.Timeout:
        status, complete = "timeout", False
    except requests.ConnectionError:
        status, complete = "conn-error", False
    took = time.monotonic() - started
    return Sample(target, started - clock, took, status, complete)


def _graph_api_path(page_html: str) -> str:
    """The URL graph.js fetches, read from the page's own configuration."""
    found = re.search(
        r'<script id="graph-config" type="application/json">(.*?)</script>', page_html, re.S
    )
    assert found, "the graph page has no graph-config"
    config = json.loads(found.group(1))
    return f"{config['apiUrl']}?{urlencode(config['apiParams'])}"


def _metrics_data_path(tab_html: str) -> str:
    found = re.search(r'data-metrics-url="([^"]+)"', tab_html)
    assert found, "the metrics tab has no metrics panel"
    return html.unescape(found.group(1))


def demo_targets(base: str, session: requests.Session) -> list[Target]:
    """The mix: every list page, three detail pages in east and one in west, their metrics
    tabs and the JSON those tabs fetch, the graph of the three demo namespaces as the graph
    page asks for it, and the health API. URLs the graph page and the tabs fetch are read
    from the pages themselves, so the mix follows the console if they change."""
    namespaces = ",".join(DEMO_NAMESPACES)
    graph_page = f"/graph/?namespaces={namespaces}"
    answer = session.get(base + graph_page, timeout=CLIENT_TIMEOUT)
    assert answer.status_code == 200, f"the graph page answered {answer.status_code}"
    prometheus, west = frozenset({"prometheus"}), frozenset({"west"})
    west_pods = "helloworld-v2-"  # in west's workload page and JSON only while west answers
    targets = [
        Target("page", "/overview/", 6),
        Target("page", "/namespaces/", 3),
        Target("page", "/applications/", 4),
        Target("page", "/workloads/", 4),
        Target("page", "/services/", 4),
        Target("page", "/istio/", 3),
        Target("page", "/mesh/", 2),
        Target("page", graph_page, 3),
        Target("graph-api", _graph_api_path(answer.text), 15, prometheus, probe=True),
        Target("health-api", f"/api/clusters/health?namespaces={namespaces}&clusterName=east", 6),
        Target("health-api", "/api/clusters/health?namespaces=sample&clusterName=west", 3, west),
        Target("detail-api", "/api/namespaces/ecommerce/workloads/order-management-v2", 2),
        Target(
            "detail-api",
            "/api/namespaces/sample/workloads/helloworld-v2?clusterName=west",
            2,
            west,
            expect=west_pods,
            probe=True,
        ),
    ]
    details = [
        ("/applications/east/bookinfo/reviews/", "outbound", frozenset(), ""),
        ("/workloads/east/ecommerce/order-management-v2/", "inbound", frozenset(), ""),
        ("/services/east/bookinfo/productpage/", "inbound", frozenset(), ""),
        ("/workloads/west/sample/helloworld-v2/", "inbound", west, west_pods),
    ]
    for page, tab, needs, expect in details:
        targets.append(Target("detail", page, 3, needs, expect=expect, probe=bool(expect)))
        tab_path = f"{page}?tab={tab}"
        targets.append(Target("metrics-tab", tab_path, 2, needs | prometheus, htmx=True))
        tab_answer = session.get(
            base + tab_path, headers={"HX-Request": "true"}, timeout=CLIENT_TIMEOUT
        )
        assert tab_answer.status_code == 200, f"{tab_path} answered {tab_answer.status_code}"
        data_path = _metrics_data_path(tab_answer.text)
        targets.append(Target("metrics-api", data_path, 3, needs | prometheus, probe=not needs))
    return targets


@dataclass
class Phase:
    """What the users did in one phase: every request, and the phase's wall-clock length."""

    title: str
    users: int
    seconds: float
    samples: list[Sample] = field(default_factory=list)
    # CPU seconds the load generator itself used: it shares the machine's cores.
    client_cpu: float = 0.0


def run_users(
    base: str,
    targets: list[Target],
    *,
    title: str,
    users: int,
    seconds: float,
    seed: int = 1,
    clock: list[float] | None = None,
) -> Phase:
    """`users` logged-in users clicking through `targets` for `seconds`, each at its own
    pace; requests still in flight at the end are waited for and counted. `clock`, when
    given, receives the phase's start (time.monotonic()) as soon as it is known, for a fault
    schedule to run on the same clock."""
    sessions = [login(base) for _ in range(users)]
    phase = Phase(title, users, seconds)
    lock = threading.Lock()
    start = threading.Barrier(users + 1)
    started_at: list[float] = []

    def user(number: int, session: requests.Session) -> None:
        rng = random.Random(seed * 1000 + number)
        weights = [t.weight for t in targets]
        start.wait()
        clock_start = started_at[0]
        end = clock_start + seconds
        # Users arrive over the first seconds rather than all on the same instant.
        time.sleep(rng.uniform(0, THINK_SECONDS[1]))
        while time.monotonic() < end:
            sample = fetch(session, base, rng.choices(targets, weights)[0], clock_start)
            with lock:
                phase.samples.append(sample)
            pause = rng.uniform(*THINK_SECONDS)
            time.sleep(max(0.0, min(pause, end - time.monotonic())))

    threads = [
        threading.Thread(target=user, args=(n, s), daemon=True) for n, s in enumerate(sessions)
    ]
    for thread in threads:
        thread.start()
    started_at.append(time.monotonic())
    if clock is not None:
        clock.append(started_at[0])
    cpu_before = time.process_time()
    start.wait()
    for thread in threads:
        thread.join(seconds + CLIENT_TIMEOUT + 30)
    phase.client_cpu = time.process_time() - cpu_before
    for session in sessions:
        session.close()
    return phase


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


TARGETS_NO_FAULTS = {"page": ("p95", 0.5), "detail": ("p95", 0.5), "graph-api": ("p95", 1.5)}


def print_phase(phase: Phase, *, faults: bool) -> None:
    """Throughput, latency percentiles and statuses per kind, with the targets beside them."""
    samples = phase.samples
    done_in_time = [s for s in samples if s.ended <= phase.seconds]
    print(f"\n== {phase.title}: {phase.users} users for {phase.seconds:.0f} s ==")
    print(
        f"think time {THINK_SECONDS[0]}-{THINK_SECONDS[1]} s, client timeout {CLIENT_TIMEOUT:.0f} s"
    )
    print(
        f"throughput {len(done_in_time) / phase.seconds:.1f} req/s "
        f"({len(samples)} requests, {len(samples) - len(done_in_time)} ended after the phase)"
    )
    load = Path("/proc/loadavg").read_text().split()[0]
    print(
        f"load generator: {phase.client_cpu:.1f} s CPU "
        f"({100 * phase.client_cpu / phase.seconds:.0f} % of a core); load average {load}"
    )
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_kind[sample.target.kind].append(sample)
    print(
        f"{'kind':<12}{'n':>6}{'p50':>10}{'p95':>10}{'p99':>10}{'max':>10}  {'>10 s':>5}  statuses"
    )
    for kind in sorted(by_kind):
        times = [s.seconds for s in by_kind[kind]]
        statuses = Counter(s.status for s in by_kind[kind])
        slow = sum(1 for t in times if t > 10)
        target = ""
        if not faults and kind in TARGETS_NO_FAULTS:
            name, limit = TARGETS_NO_FAULTS[kind]
            verdict = "met" if percentile(times, 95) < limit else "MISSED"
            target = f"   target {name} < {ms(limit)}: {verdict}"
        print(
            f"{kind:<12}{len(times):>6}{ms(percentile(times, 50)):>10}"
            f"{ms(percentile(times, 95)):>10}{ms(percentile(times, 99)):>10}{ms(max(times)):>10}"
            f"  {slow:>5}  {dict(sorted(statuses.items()))}{target}"
        )
    if faults:
        print_fault_targets(samples)


def print_fault_targets(samples: list[Sample]) -> None:
    over_ten = [s for s in samples if s.seconds > 10 or s.status == "timeout"]
    # A page about an object of the frozen cluster answers 503 by design (the issue: "the
    # application page of a stopped cluster says so with 503"); every other page must answer.
    down_cluster_503 = [
        s
        for s in samples
        if s.target.kind in PAGE_KINDS and s.status == "503" and "west" in s.target.needs
    ]
    page_5xx = [
        s
        for s in samples
        if s.target.kind in PAGE_KINDS and s.status.startswith("5") and s not in down_cluster_503
    ]
    page_hung = [s for s in samples if s.target.kind in PAGE_KINDS and not s.status.isdigit()]
    api_other = [
        s
        for s in samples
        if s.target.kind not in PAGE_KINDS and s.status != "503" and not _answered_ok(s.status)
    ]

    def verdict(bad: list[Sample]) -> str:
        return "met" if not bad else "MISSED"

    print(f"target: no response > 10 s            {len(over_ten):>5} such   {verdict(over_ten)}")
    print(f"target: zero 5xx on pages            {len(page_5xx):>5} 5xx    {verdict(page_5xx)}")
    print(f"        503 on pages of frozen west  {len(down_cluster_503):>5} (as the issue asks)")
    print(f"        pages that timed out/failed  {len(page_hung):>5}")
    print(
        f"target: API errors are 503s only     {len(api_other):>5} others {verdict(api_other)}"
        + (f" {dict(Counter(s.status for s in api_other))}" if api_other else "")
    )


def _answered_ok(status: str) -> bool:
    return status.isdigit() and int(status) < 400


def print_longest(samples: list[Sample], count: int = 8) -> None:
    print(f"the {count} longest requests (start offset, time, status, kind, URL):")
    for sample in sorted(samples, key=lambda s: s.seconds, reverse=True)[:count]:
        print(
            f"  at {sample.started:5.1f} s  {ms(sample.seconds):>8}  {sample.status:>10}  "
            f"{sample.target.kind:<11} {sample.target.path[:90]}"
        )


def print_timeline(phase: Phase, step: float = 5.0) -> None:
    """Requests by the 5-second window they started in: how many, how many failed or timed
    out, and the slowest, so the faults' edges show."""
    print("timeline (by start): window, requests, incomplete, timeouts, p95, max")
    for start in range(0, int(phase.seconds), int(step)):
        window = [s for s in phase.samples if start <= s.started < start + step]
        if not window:
            continue
        times = [s.seconds for s in window]
        bad = sum(1 for s in window if not s.complete)
        hung = sum(1 for s in window if s.status == "timeout")
        print(
            f"  {start:>3}-{start + step:<3.0f}s {len(window):>5} {bad:>5} {hung:>5} "
            f"{ms(percentile(times, 95)):>9} {ms(max(times)):>9}"
        )


# --- the demo's processes, and faults on a schedule ------------------------------------------


def cmdline(pid: int) -> list[str]:
    try:
        raw = (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def find_process(root_pid: int, program: str, *args: str) -> int:
    """The one process in `root_pid`'s tree running `program` with every one of `args`."""

    def runs_it(argv: list[str]) -> bool:
        return bool(argv) and os.path.basename(argv[0]) == program and set(args) <= set(argv)

    found = [pid for pid in descendants(root_pid) if runs_it(cmdline(pid))]
    assert len(found) == 1, f"{program} {' '.join(args)}: found {found} below {root_pid}"
    return found[0]


@dataclass(frozen=True)
class Fault:
    """`name` (a dependency, as in Target.needs) frozen from `stop_at` to `resume_at` seconds
    into the phase, by signalling process `pid`."""

    name: str
    pid: int
    stop_at: float
    resume_at: float


@dataclass
class FaultLog:
    stopped: dict[str, float] = field(default_factory=dict)
    resumed: dict[str, float] = field(default_factory=dict)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


@contextlib.contextmanager
def faults_on_schedule(faults: list[Fault], clock: list[float]) -> Iterator[FaultLog]:
    """Sends each fault's SIGSTOP and SIGCONT at its times, counted from `clock[0]` once the
    phase has put its start there; every process is resumed on the way out, whatever
    happened."""
    log = FaultLog()
    events = sorted(
        [(f.stop_at, f, signal.SIGSTOP) for f in faults]
        + [(f.resume_at, f, signal.SIGCONT) for f in faults],
        key=lambda event: event[0],
    )
    cancelled = threading.Event()

    def run() -> None:
        while not clock and not cancelled.wait(0.01):
            pass
        for at, fault, signum in events:
            if cancelled.wait(max(0.0, clock[0] + at - time.monotonic())):
                return
            _signal(fault.pid, signum)
            when = time.monotonic() - clock[0]
            (log.stopped if signum == signal.SIGSTOP else log.resumed)[fault.name] = when
            print(f"  [{when:5.1f} s] {signum.name} {fault.name} (pid {fault.pid})", flush=True)

    scheduler = threading.Thread(target=run, daemon=True)
    scheduler.start()
    try:
        yield log
    finally:
        cancelled.set()
        scheduler.join(5)
        for fault in faults:
            _signal(fault.pid, signal.SIGCONT)


class RecoveryProbe(threading.Thread):
    """One more user who, from the moment `fault` ends, asks every half second for the URLs
    that need only that dependency and show it is back, until one answers completely (or
    `give_up_after` seconds pass). Users of the phase ask for them too, but at random and
    only until the phase ends."""

    def __init__(
        self,
        base: str,
        fault: Fault,
        targets: Iterable[Target],
        clock: list[float],
        log: FaultLog,
        give_up_after: float,
    ) -> None:
        super().__init__(daemon=True)
        self.base, self.fault, self.clock, self.log = base, fault, clock, log
        self.asking = [t for t in targets if t.probe and t.needs == frozenset({fault.name})]
        self.give_up_after = give_up_after
        self.samples: list[Sample] = []
        self.cancelled = threading.Event()

    def run(self) -> None:
        while self.fault.name not in self.log.resumed:
            if self.cancelled.wait(0.05):
                return
        resumed = self.log.resumed[self.fault.name]
        session = login(self.base)
        try:
            for target in _cycle(self.asking):
                if time.monotonic() - self.clock[0] - resumed > self.give_up_after:
                    return
                sample = fetch(session, self.base, target, self.clock[0])
                self.samples.append(sample)
                if sample.complete or self.cancelled.wait(0.5):
                    return
        finally:
            session.close()

    def recovered(self, phase: Phase) -> tuple[float | None, str]:
        """Seconds from the fault's end to the end of the first complete answer, among the
        requests started after it by the users or the probe, to a URL the probe asks for;
        None when there was none."""
        resumed = self.log.resumed.get(self.fault.name)
        if resumed is None:
            return None, "never resumed"
        answers = [
            s
            for s in [*phase.samples, *self.samples]
            if s.target in self.asking and s.started >= resumed and s.complete
        ]
        if not answers:
            return None, f"no complete answer within {self.give_up_after:.0f} s"
        first = min(answers, key=lambda s: s.ended)
        by = "probe" if first in self.samples else "user"
        return first.ended - resumed, f"first: {first.target.kind} {first.target.path[:50]} ({by})"


def _cycle(targets: list[Target]) -> Iterator[Target]:
    while targets:
        yield from targets


def failures_during(phase: Phase, name: str, start: float, end: float) -> tuple[int, int]:
    """Of the requests needing `name` that started while it was frozen: how many failed."""
    during = [s for s in phase.samples if name in s.target.needs and start <= s.started < end]
    return sum(1 for s in during if not s.complete), len(during)


def concurrent_rounds(
    base: str, target: Target, *, users: int, rounds: int, spacing: float = 2.5
) -> tuple[list[Sample], list[Sample]]:
    """The same request by one user alone (as many times as there are rounds, plus one to
    warm up), then by `users` users at once, `rounds` times. Requests and rounds are
    `spacing` seconds apart, longer than the console shares a graph just built
    (mesh.api.graph.SHARED_FOR), so each one alone and each round builds its graph."""
    session = login(base)
    fetch(session, base, target, time.monotonic())
    alone = []
    for _ in range(rounds + 2):
        time.sleep(spacing)
        alone.append(fetch(session, base, target, time.monotonic()))
    session.close()
    sessions = [login(base) for _ in range(users)]
    together: list[Sample] = []
    lock = threading.Lock()
    for _ in range(rounds):
        time.sleep(spacing)
        barrier = threading.Barrier(users)

        def one(session: requests.Session, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            sample = fetch(session, base, target, time.monotonic())
            with lock:
                together.append(sample)

        threads = [threading.Thread(target=one, args=(s,), daemon=True) for s in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(CLIENT_TIMEOUT + 10)
    for session in sessions:
        session.close()
    return alone, together
