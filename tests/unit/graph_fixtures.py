"""Constructed Prometheus answers for the graph's unit tests (graph.md section 9's shop)."""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from mesh.graph.engine import GraphRequest, build_graph, graph_document
from mesh.graph.options import parse_options
from mesh.graph.render import hash_id, to_json
from mesh.prometheus.client import Sample

SRC_KEYS = (
    "source_cluster",
    "source_workload_namespace",
    "source_workload",
    "source_canonical_service",
    "source_canonical_revision",
)
DST_KEYS = (
    "destination_cluster",
    "destination_service_namespace",
    "destination_service",
    "destination_service_name",
    "destination_workload_namespace",
    "destination_workload",
    "destination_canonical_service",
    "destination_canonical_revision",
)
INGRESS = ("c1", "istio-system", "istio-ingressgateway", "istio-ingressgateway", "latest")
UNKNOWN_SRC = ("unknown",) * 5
FRONTEND = ("c1", "shop", "frontend-v1", "frontend", "v1")
CART_V1 = ("c1", "shop", "frontend-v1", "frontend", "v1")


def dst(cluster: str, ns: str, svc: str, wl: str, app: str, ver: str) -> tuple[str, ...]:
    return (cluster, ns, f"{svc}.{ns}.svc.cluster.local", svc, ns, wl, app, ver)


def req(
    src: tuple[str, ...],
    dest: tuple[str, ...],
    value: float,
    *,
    protocol: str = "http",
    code: str = "200",
    grpc: str | None = None,
    flags: str = "-",
) -> Sample:
    labels = dict(zip(SRC_KEYS, src, strict=True)) | dict(zip(DST_KEYS, dest, strict=True))
    labels |= {"request_protocol": protocol, "response_code": code, "response_flags": flags}
    if grpc is not None:
        labels["grpc_response_status"] = grpc
    return Sample(labels, value)


def tcp(src: tuple[str, ...], dest: tuple[str, ...], value: float, flags: str = "-") -> Sample:
    labels = dict(zip(SRC_KEYS, src, strict=True)) | dict(zip(DST_KEYS, dest, strict=True))
    labels |= {"response_flags": flags, "app": "x"}
    return Sample(labels, value)


FRONTEND_DST = dst("c1", "shop", "frontend", "frontend-v1", "frontend", "v1")
CART1_DST = dst("c1", "shop", "cart", "cart-v1", "cart", "v1")
CART2_DST = dst("c1", "shop", "cart", "cart-v2", "cart", "v2")
RECO_DST = dst("c1", "shop", "reco", "reco-v1", "reco", "v1")
REDIS_DST = dst("c1", "shop", "redis", "redis-v1", "redis", "v1")
PASSTHROUGH_DST = (
    "c1",
    "unknown",
    "PassthroughCluster",
    "PassthroughCluster",
    "unknown",
    "unknown",
    "unknown",
    "unknown",
)
CART_SRC = ("c1", "shop", "cart-v1", "cart", "v1")

SHOP_INTERNAL = [
    req(FRONTEND, CART1_DST, 4),
    req(FRONTEND, CART1_DST, 1, code="503", flags="UF"),
    req(FRONTEND, CART2_DST, 5),
    req(FRONTEND, RECO_DST, 0.2, protocol="grpc", grpc="14"),
    req(FRONTEND, RECO_DST, 1.8, protocol="grpc", grpc="0"),
]
SHOP_RECEIVED = [
    req(INGRESS, FRONTEND_DST, 10),
    req(UNKNOWN_SRC, FRONTEND_DST, 0.5),
    *SHOP_INTERNAL,
]
SHOP_SENT = [*SHOP_INTERNAL, req(FRONTEND, PASSTHROUGH_DST, 0.3)]
SHOP_TCP = [tcp(CART_SRC, REDIS_DST, 2048)]


def shop_answers(text: str) -> list[Sample]:
    """Answers by query shape: the worked example of graph.md section 9."""
    if 'destination_workload="unknown"' in text:
        return []
    if text.startswith("round(sum(rate(istio_requests_total"):
        if 'reporter="destination",destination_workload_namespace="shop"' in text:
            return SHOP_RECEIVED
        if 'reporter="source",source_workload_namespace="shop"' in text:
            return SHOP_SENT
    if (
        "istio_tcp_received_bytes_total" in text
        and 'reporter="source",source_workload_namespace="shop"' in text
    ):
        return SHOP_TCP
    return []


def graph_json(
    params: dict[str, str],
    answers: Callable[[str], list[Sample]],
    *,
    accessible: set[tuple[str, str]] | None = None,
    objects: Callable[[str, str, str], list[dict]] | None = None,  # type: ignore[type-arg]
    sent: list[str] | None = None,
) -> dict:  # type: ignore[type-arg]
    opts = parse_options({"ambientTraffic": "none", "appenders": "", **params}, now=1_700_000_000)
    request = GraphRequest(
        opts=opts,
        windows={ns: opts.duration for ns in opts.namespaces},
        accessible=frozenset(accessible if accessible is not None else {("c1", "shop")}),
        **({"objects": objects} if objects else {}),
    )

    def query(text: str) -> list[Sample]:
        if sent is not None:
            sent.append(text)
        return answers(text)

    document = to_json(build_graph(request, query), opts)
    # The API's own path (edges written ahead, then encoded) must give the same bytes.
    api = graph_document(request, answers)
    try:
        assert api.body == msgspec.json.encode(document)
    finally:
        api.release()
    return document


def by_id(document: dict) -> tuple[dict, dict]:  # type: ignore[type-arg]
    """Nodes and edges keyed by readable names: internal node id, "src>dst>protocol"."""
    names = {}
    nodes = {}
    for n in document["elements"]["nodes"]:
        names[n["data"]["id"]] = n["data"]["id"]
        nodes[n["data"]["id"]] = n["data"]
    edges = {}
    for e in document["elements"]["edges"]:
        d = e["data"]
        edges[(d["source"], d["target"], d["traffic"]["protocol"])] = d
    return nodes, edges


def h(internal: str) -> str:
    return hash_id(internal)
