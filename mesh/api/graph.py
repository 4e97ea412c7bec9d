"""Kiali's graph JSON API: namespace graphs, node graphs and edge response times.

The views only translate HTTP: parse the options (400), check the namespaces against what
this request may see (403), hand plain inputs to mesh.graph, and turn a Prometheus failure
into 503 `{"error": "metrics unavailable: <reason>"}`.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from kiali_site.access import visible_namespaces
from kiali_site.context import MeshRequest
from kiali_site.errors import api_error
from mesh.graph.appenders.response_time import response_times
from mesh.graph.coalesce import InFlight, across_processes, same_graph_key
from mesh.graph.engine import GraphDocument, GraphRequest, graph_document, prometheus_query
from mesh.graph.objects import ClusterObjects
from mesh.graph.options import GraphOptions, NodeSpec, OptionsError, parse_options
from mesh.graph.recent import RECENT, graph_key
from mesh.graph.render import edge_id, hash_id
from mesh.kube.namespaces import Namespace
from mesh.prometheus.client import PrometheusError
from mesh.views.common import prometheus_for

AMBIENT_LABEL = ("istio.io/dataplane-mode", "ambient")


def _created(namespace: Namespace) -> float:
    try:
        return datetime.fromisoformat(namespace.created.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def graph_request_for(request: MeshRequest, opts: GraphOptions) -> GraphRequest:
    """Windows, visibility and object access for the requested namespaces, shared by the API
    and the page's side panel so both see the same graph; raises
    OptionsError (400) or PermissionError (403)."""
    visible, _errors = visible_namespaces(request)
    accessible = frozenset((c, ns.name) for c, names in visible.items() for ns in names)
    by_name: dict[str, list[Namespace]] = {}
    for names in visible.values():
        for ns in names:
            by_name.setdefault(ns.name, []).append(ns)
    windows: dict[str, int] = {}
    ambient = set()
    for name in opts.namespaces:
        found = by_name.get(name)
        if not found:
            raise PermissionError(f"Requested namespace [{name}] is not accessible.")
        created = min((t for t in map(_created, found) if t > 0), default=0.0)
        seconds = opts.duration
        if created:
            age = opts.query_time - created
            if age <= 0 and not opts.historical:
                age = 1  # created this very second: "now" was truncated to whole seconds
            if age <= 0:
                raise OptionsError(f"Namespace [{name}] did not exist at the requested queryTime")
            seconds = min(seconds, int(age))
        windows[name] = seconds
        if any(ns.labels.get(AMBIENT_LABEL[0]) == AMBIENT_LABEL[1] for ns in found):
            ambient.add(name)
    registry = request.mesh.registry
    clients = {c: registry.access[c].service_client for c in visible if c in registry.access}
    control_planes = frozenset(
        ns.name for names in visible.values() for ns in names if ns.is_control_plane
    ) or frozenset({"istio-system"})
    return GraphRequest(
        opts=opts,
        windows=windows,
        accessible=accessible,
        ambient=frozenset(ambient),
        scope=dict(request.mesh.config.external_services.prometheus.query_scope),
        objects=ClusterObjects(
            clients, {c: [n.name for n in names] for c, names in visible.items()}
        ),
        control_plane_namespaces=control_planes,
        ambient_mesh=any(
            ns.labels.get(AMBIENT_LABEL[0]) == AMBIENT_LABEL[1]
            for names in visible.values()
            for ns in names
        ),
    )


def graph_owner(request: MeshRequest) -> str | None:
    """Whose recent graph a request may keep and read: its session's, or the one shared
    view of anonymous mode; None for requests without a session (API clients)."""
    key = request.session.session_key if hasattr(request, "session") else None
    if key:
        return key
    return "anonymous" if request.mesh.strategy == "anonymous" else None


# Graphs being built in this process, which identical requests made meanwhile share, and
# for SHARED_FOR seconds after (a graph of "now" is the same a second later: Prometheus
# scrapes every 15 s by default).
SAME_GRAPHS: InFlight[GraphDocument] = InFlight()
SHARED_FOR = 2.0


class GraphResponse(HttpResponse):
    """A graph's JSON; the graph's objects are released when the server closes the
    response, after its bytes are out."""

    def __init__(self, document: GraphDocument) -> None:
        super().__init__(document.body, content_type="application/json")
        self._document = document

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._document.release()


def _respond(request: MeshRequest, node: NodeSpec | None) -> HttpResponse:
    try:
        opts = parse_options(request.GET.dict(), node=node)
        graph_request = graph_request_for(request, opts)
    except OptionsError as exc:
        return api_error(str(exc), 400)
    except PermissionError as exc:
        return api_error(str(exc), 403)
    client = prometheus_for(request, "graph")
    try:
        key = same_graph_key(opts, graph_request.accessible)
        wait = float(request.mesh.config.kiali_internal.deadlines.graph)
        fresh = 0.0 if opts.historical else SHARED_FOR
        document = SAME_GRAPHS.run(
            key,
            lambda: across_processes(
                key,
                lambda: graph_document(graph_request, prometheus_query(client, opts.query_time)),
                lambda built: built.body,
                GraphDocument.of_body,
                wait=wait,
                fresh=fresh,
            ),
            GraphDocument.shared,
            wait=wait,
            fresh=fresh,
        )
    except PrometheusError as exc:
        return api_error(f"metrics unavailable: {exc}", 503)
    finally:
        client.close()
    owner = graph_owner(request)
    if owner and document.traffic_map is not None:
        key = graph_key(opts, graph_request.accessible)
        RECENT.remember(owner, key, document.traffic_map, opts.wants("responseTime"))
    return GraphResponse(document)


@require_GET
def namespaces_graph(request: MeshRequest) -> HttpResponse:
    return _respond(request, None)


@require_GET
def app_graph(request: MeshRequest, namespace: str, app: str, version: str = "") -> HttpResponse:
    return _respond(request, NodeSpec("app", namespace, app=app, version=version))


@require_GET
def workload_graph(request: MeshRequest, namespace: str, workload: str) -> HttpResponse:
    return _respond(request, NodeSpec("workload", namespace, workload=workload))


@require_GET
def service_graph(request: MeshRequest, namespace: str, service: str) -> HttpResponse:
    return _respond(request, NodeSpec("service", namespace, service=service))


@require_GET
def aggregate_graph(
    request: MeshRequest, namespace: str, aggregate: str, value: str, service: str = ""
) -> HttpResponse:
    node = NodeSpec(
        "aggregate", namespace, service=service, aggregate=aggregate, aggregate_value=value
    )
    return _respond(request, node)


@require_GET
def edge_response_times(request: MeshRequest) -> JsonResponse:
    """Response times alone, keyed by the edge ids of the matching graph: the histogram
    queries cost several times the whole graph, so a page can draw first and label later."""
    try:
        opts = parse_options(request.GET.dict())
        graph_request = graph_request_for(request, opts)
    except OptionsError as exc:
        return api_error(str(exc), 400)
    except PermissionError as exc:
        return api_error(str(exc), 403)
    client = prometheus_for(request, "graph")
    try:
        times = response_times(
            opts,
            graph_request.windows,
            prometheus_query(client, opts.query_time),
            graph_request.scope,
            graph_request.ambient,
        )
    except PrometheusError as exc:
        return api_error(f"metrics unavailable: {exc}", 503)
    finally:
        client.close()
    owner = graph_owner(request)
    if owner:
        RECENT.remember_times(owner, graph_key(opts, graph_request.accessible), times)
    edges = {}
    for (source, dest, protocol), value in times.items():
        edges[edge_id(hash_id(source), hash_id(dest), protocol)] = f"{value:.0f}"
    return JsonResponse(
        {"timestamp": opts.query_time, "responseTime": opts.response_time, "edges": edges}
    )
