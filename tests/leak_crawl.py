"""The leak crawl: follow every link a persona's pages offer and scan each body for the
identity of anything the persona may not read (see tests/integration/test_leaks*.py)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import kubernetes.client
from django.test import Client

from mesh.kube.access import list_items
from mesh.sim.apiserver import LocalCluster

PAGE_LIMIT = 500
LINK = re.compile(r'(?:href|hx-get|data-href|data-url)="(/[^"#]*)"')
# Links that change state or leave the crawl's subject.
SKIPPED = ("/static/", "/admin/", "/logout", "/login", "/api/auth/", "/api/logout")
# Query parameters that only reorder or page what the crawl already reads.
NOISE = ("sort=", "order=", "dir=", "page=", "duration=", "refresh=", "rangeDuration=")
# Names that are ordinary words in the console's own chrome and in labels
# (`kubernetes.io/metadata.name`): scanned only as namespace/name.
GENERIC = {"default", "kubernetes", "details", "kiali"}
# An Istio config page and its editor show the persona's own object as written; what its
# spec names (a host in another namespace) is theirs to read. Everything around it is scanned.
OWN_YAML = re.compile(
    r'<td class="console-yaml-text"><pre>.*?</pre></td>|<textarea id="edit-text"[^>]*>.*?</textarea>',
    re.S,
)

PROBE = {
    "apiVersion": "networking.istio.io/v1beta1",
    "kind": "VirtualService",
    "metadata": {"name": "probe", "namespace": "sample"},
    "spec": {
        "hosts": ["reviews.bookinfo.svc.cluster.local"],
        "http": [{"route": [{"destination": {"host": "reviews.bookinfo.svc.cluster.local"}}]}],
    },
}
# Kinds whose names the scan looks for: what pages and references name.
SCANNED_KINDS = [
    ("apps/v1", "deployments"),
    ("v1", "services"),
    ("networking.istio.io/v1beta1", "virtualservices"),
    ("networking.istio.io/v1beta1", "destinationrules"),
    ("networking.istio.io/v1beta1", "gateways"),
    ("networking.istio.io/v1beta1", "serviceentries"),
    ("networking.istio.io/v1beta1", "sidecars"),
    ("security.istio.io/v1beta1", "authorizationpolicies"),
    ("security.istio.io/v1beta1", "peerauthentications"),
]


@dataclass
class Crawl:
    bodies: dict[str, tuple[int, str]] = field(default_factory=dict)

    def add(self, url: str, status: int, body: str) -> None:
        self.bodies[url] = (status, body)


def _names_by_namespace(cluster: LocalCluster) -> dict[str, set[str]]:
    """Every scanned object's name per namespace, read as the cluster's admin."""
    found: dict[str, set[str]] = {}
    with cluster.api_client("admin") as admin:
        for item in list_items(admin, cluster.name, "v1", "namespaces"):
            found.setdefault(item["metadata"]["name"], set())
        for group_version, plural in SCANNED_KINDS:
            for item in list_items(admin, cluster.name, group_version, plural):
                meta = item["metadata"]
                found.setdefault(meta["namespace"], set()).add(meta["name"])
    return found


@dataclass(frozen=True)
class Needle:
    text: str
    what: str

    def pattern(self) -> re.Pattern[str]:
        # Whole names only: "sample" must not match inside "samples".
        return re.compile(rf"(?<![\w.-]){re.escape(self.text)}(?![\w-])")


def hidden_needles(
    clusters: dict[str, LocalCluster],
    visible: set[tuple[str, str]],
    *,
    prometheus_url: str,
) -> list[Needle]:
    """What must never appear for a persona with this visible set."""
    names = {name: _names_by_namespace(cluster) for name, cluster in clusters.items()}
    seen_names = {
        obj for cluster, ns in visible for obj in names.get(cluster, {}).get(ns, set())
    } | {ns for _, ns in visible}
    # The same namespace/name in a cluster the persona reads is theirs to see.
    seen_qualified = {
        f"{ns}/{obj}" for cluster, ns in visible for obj in names.get(cluster, {}).get(ns, set())
    }
    needles: list[Needle] = []
    for cluster, by_namespace in names.items():
        for ns, objects in by_namespace.items():
            if (cluster, ns) in visible:
                continue
            if ns not in seen_names and ns not in GENERIC:
                needles.append(Needle(ns, f"namespace {cluster}/{ns}"))
            for obj in objects:
                if f"{ns}/{obj}" not in seen_qualified:
                    needles.append(Needle(f"{ns}/{obj}", f"object {cluster}/{ns}/{obj}"))
                if obj not in seen_names and obj not in GENERIC and len(obj) > 4:
                    needles.append(Needle(obj, f"object {cluster}/{ns}/{obj}"))
    reached = {cluster for cluster, _ in visible}
    home_console = ("east", "istio-system") in visible
    for name, cluster in clusters.items():
        if name not in reached:
            needles.append(Needle(urlsplit(cluster.server).netloc, f"endpoint of {name}"))
    if not home_console:
        needles.append(Needle("kiali-multi-cluster-secret", "remote-cluster Secret"))
        needles.append(Needle(urlsplit(prometheus_url).netloc, "Prometheus address"))
        needles.append(Needle("istiod", "control plane"))
    return needles


def _follow(url: str) -> bool:
    return not url.startswith(SKIPPED) and not any(n in url for n in NOISE)


def page_kind(url: str) -> str:
    path, _, query = url.partition("?")
    tab = re.search(r"tab=(\w+)", query)
    return path.split("/")[1] + (f":{tab.group(1)}" if tab else "")


def crawl(client: Client, starts: list[str]) -> Crawl:
    """Breadth first over every link the pages offer, bounded."""
    result = Crawl()
    queue = list(starts)
    seen: set[str] = set()
    while queue and len(result.bodies) < PAGE_LIMIT:
        url = queue.pop(0)
        if url in seen or (url not in starts and not _follow(url)):
            continue
        seen.add(url)
        response = client.get(url)
        body = response.content.decode(errors="replace")
        assert response.status_code < 500, f"{url} answered {response.status_code}: {body[:300]}"
        result.add(url, response.status_code, body)
        if "html" in response.get("Content-Type", ""):
            queue += [html.unescape(link) for link in LINK.findall(body)]
    assert len(result.bodies) < PAGE_LIMIT, "the crawl hit its bound; raise PAGE_LIMIT"
    return result


def api_urls(visible: set[tuple[str, str]]) -> Iterator[str]:
    """What Kiali's clients call, per visible namespace, besides what the pages link to."""
    yield "/api/namespaces"
    for kind in ("apps", "workloads", "services"):
        yield f"/api/clusters/{kind}?" + urlencode({"namespaces": ",".join(n for _, n in visible)})
    for cluster, ns in sorted(visible):
        for graph_type in ("app", "versionedApp", "workload", "service"):
            query = {"namespaces": ns, "graphType": graph_type, "duration": "60s"}
            yield "/api/namespaces/graph?" + urlencode(query)
        yield f"/api/clusters/health?namespaces={ns}&clusterName={cluster}&type=app"
        yield f"/api/namespaces/{ns}/metrics?clusterName={cluster}"
    everything = ",".join(sorted({n for _, n in visible}))
    yield "/api/namespaces/graph?" + urlencode(
        {"namespaces": everything, "graphType": "workload", "duration": "60s"}
    )


def leaks(result: Crawl, needles: list[Needle]) -> list[str]:
    found = []
    for url, (status, body) in result.bodies.items():
        if url.startswith("/istio/"):
            body = OWN_YAML.sub("", body)
        for needle in needles:
            match = needle.pattern().search(body)
            if match:
                around = body[max(0, match.start() - 80) : match.end() + 80].replace("\n", " ")
                found.append(f"{url} ({status}) shows {needle.what}: …{around}…")
    return found


CONSOLE_SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {
        "name": "kiali",
        "namespace": "istio-system",
        "labels": {"app.kubernetes.io/part-of": "kiali"},
    },
    "spec": {"ports": [{"name": "http", "port": 20001, "protocol": "TCP"}]},
}


@contextmanager
def probe_in_sample(cluster: LocalCluster) -> Iterator[None]:
    """VirtualService sample/probe routing to reviews.bookinfo, so references cross the line
    between two teams' namespaces both ways, and a console's Service in istio-system, which
    the Mesh page lists as a console serving the cluster; removed afterwards (the demo is
    shared)."""
    with cluster.api_client("admin") as admin:
        api = kubernetes.client.CustomObjectsApi(admin)
        core = kubernetes.client.CoreV1Api(admin)
        api.create_namespaced_custom_object(
            "networking.istio.io", "v1beta1", "sample", "virtualservices", PROBE
        )
        core.create_namespaced_service("istio-system", CONSOLE_SERVICE)
        try:
            yield
        finally:
            api.delete_namespaced_custom_object(
                "networking.istio.io", "v1beta1", "sample", "virtualservices", "probe"
            )
            # The answer is a Status the client cannot read back as a Service: not read.
            core.delete_namespaced_service("kiali", "istio-system", _preload_content=False)


def crawl_pages(client: Client, visible: set[tuple[str, str]]) -> Crawl:
    starts = ["/overview/", "/mesh/", "/namespaces/", "/applications/", "/workloads/"]
    starts += ["/services/", "/istio/", "/graph/", *api_urls(visible)]
    return crawl(client, starts)


def assert_no_leaks(
    result: Crawl,
    clusters: dict[str, LocalCluster],
    visible: set[tuple[str, str]],
    prometheus_url: str,
) -> None:
    found = leaks(result, hidden_needles(clusters, visible, prometheus_url=prometheus_url))
    assert not found, f"{len(found)} leaks over {len(result.bodies)} pages:\n" + "\n".join(
        found[:40]
    )
