"""Routes of the traffic graph: its page, side panels and Kiali-compatible JSON API."""

from django.urls import URLPattern, path

from mesh.api import graph as api
from mesh.views import graph as pages

urlpatterns: list[URLPattern] = [
    path("api/namespaces/graph", api.namespaces_graph, name="api-graph"),
    path(
        "api/namespaces/graph/response-times",
        api.edge_response_times,
        name="api-graph-response-times",
    ),
    path(
        "api/namespaces/<str:namespace>/applications/<str:app>/graph",
        api.app_graph,
        name="api-graph-app",
    ),
    path(
        "api/namespaces/<str:namespace>/applications/<str:app>/versions/<str:version>/graph",
        api.app_graph,
        name="api-graph-app-version",
    ),
    path(
        "api/namespaces/<str:namespace>/workloads/<str:workload>/graph",
        api.workload_graph,
        name="api-graph-workload",
    ),
    path(
        "api/namespaces/<str:namespace>/services/<str:service>/graph",
        api.service_graph,
        name="api-graph-service",
    ),
    path(
        "api/namespaces/<str:namespace>/aggregates/<str:aggregate>/<str:value>/graph",
        api.aggregate_graph,
        name="api-graph-aggregate",
    ),
    path(
        "api/namespaces/<str:namespace>/aggregates/<str:aggregate>/<str:value>/<str:service>/graph",
        api.aggregate_graph,
        name="api-graph-aggregate-service",
    ),
    path("graph/", pages.graph_page, name="graph"),
    path("graph/panel", pages.graph_panel, name="graph-panel"),
    path(
        "graph/node/namespaces/<str:namespace>/applications/<str:app>/versions/<str:version>",
        pages.app_version_graph_page,
        name="graph-node-app-version",
    ),
    path(
        "graph/node/namespaces/<str:namespace>/aggregates/<str:aggregate>/<str:value>",
        pages.aggregate_graph_page,
        name="graph-node-aggregate",
    ),
    path(
        "graph/node/namespaces/<str:namespace>/aggregates/<str:aggregate>/<str:value>/<str:service>",
        pages.aggregate_graph_page,
        name="graph-node-aggregate-service",
    ),
    path(
        "graph/node/namespaces/<str:namespace>/<str:kind>/<str:name>",
        pages.node_graph_page,
        name="graph-node",
    ),
]
