"""Where a graph node leads: its node graph and its detail pages.

The side panel asks for one node's links on the server; the page's right-click menu gets
URL templates with placeholders and fills in each node's names itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse

from mesh.graph.options import NodeSpec
from mesh.views.graph_options import VIEW_KEYS


@dataclass(frozen=True)
class NodeFocus:
    """The node a node graph is centred on, from the page's path. For an aggregate node,
    `name` is the aggregate label, `version` its value and `service` the optional service."""

    kind: str  # app | workload | service | aggregate
    namespace: str
    name: str
    version: str = ""
    service: str = ""

    @property
    def spec(self) -> NodeSpec:
        if self.kind == "app":
            return NodeSpec("app", self.namespace, app=self.name, version=self.version)
        if self.kind == "workload":
            return NodeSpec("workload", self.namespace, workload=self.name)
        if self.kind == "aggregate":
            return NodeSpec(
                "aggregate",
                self.namespace,
                service=self.service,
                aggregate=self.name,
                aggregate_value=self.version,
            )
        return NodeSpec("service", self.namespace, service=self.name)

    @property
    def api_url(self) -> str:
        if self.kind == "app" and self.version:
            args = [self.namespace, self.name, self.version]
            return reverse("api-graph-app-version", args=args)
        if self.kind == "aggregate":
            args = [self.namespace, self.name, self.version]
            if self.service:
                return reverse("api-graph-aggregate-service", args=[*args, self.service])
            return reverse("api-graph-aggregate", args=args)
        names = {"app": "api-graph-app", "workload": "api-graph-workload"}
        return reverse(names.get(self.kind, "api-graph-service"), args=[self.namespace, self.name])

    @property
    def label(self) -> str:
        if self.kind == "aggregate":
            service = f" of service {self.service}" if self.service else ""
            return f"{self.name} {self.version}{service}"
        version = f" {self.version}" if self.version else ""
        return f"{self.kind} {self.name}{version}"

    @property
    def token(self) -> str:
        parts = (self.kind, self.namespace, self.name, self.version, self.service)
        return "/".join(p for p in parts if p)

    @classmethod
    def from_token(cls, token: str) -> NodeFocus | None:
        parts = token.split("/")
        if len(parts) in (3, 4) and parts[0] in ("app", "workload", "service"):
            return cls(*parts)
        if len(parts) in (4, 5) and parts[0] == "aggregate":
            return cls(*parts)
        return None


def node_graph_url(view_query: QueryDict, node: Any) -> str | None:
    """The page's node graph for a graph node (None for boxes, unknowns and inaccessibles)."""
    if node.get("isInaccessible") or node.get("nodeType") in ("box", "unknown"):
        return None
    kind = node.get("nodeType")
    ns = node.get("namespace", "")
    if kind == "aggregate":
        label, _, value = str(node.get("aggregate", "")).partition("=")
        if not value:
            return None
        args = [ns, label, value]
        if node.get("service"):
            url = reverse("graph-node-aggregate-service", args=[*args, node["service"]])
        else:
            url = reverse("graph-node-aggregate", args=args)
    elif kind == "app" and node.get("version"):
        url = reverse("graph-node-app-version", args=[ns, node["app"], node["version"]])
    elif kind == "app":
        url = reverse("graph-node", args=[ns, "applications", node["app"]])
    elif kind == "workload":
        url = reverse("graph-node", args=[ns, "workloads", node["workload"]])
    elif kind == "service" and node.get("service") not in ("unknown", None):
        url = reverse("graph-node", args=[ns, "services", node["service"]])
    else:
        return None
    query = QueryDict(mutable=True)
    for key in VIEW_KEYS:
        if key in view_query:
            query.setlist(key, view_query.getlist(key))
    query["clusterName"] = node.get("cluster", "")
    return f"{url}?{query.urlencode()}"


DETAIL_ROUTES = {"app": "app_detail", "workload": "workload_detail", "service": "service_detail"}


def detail_url(node: Any, tab: str = "") -> str | None:
    """The node's detail page (or one of its tabs); None for nodes that have none."""
    if node.get("isInaccessible"):
        return None
    kind = node.get("nodeType")
    name = node.get(kind) if kind in DETAIL_ROUTES else None
    if not name or name == "unknown":
        return None
    url = reverse(DETAIL_ROUTES[kind], args=[node.get("cluster", ""), node["namespace"], name])
    return f"{url}?{urlencode({'tab': tab})}" if tab else url


def detail_templates() -> dict[str, str]:
    """Detail URLs per node type with placeholders, for the graph's context menu: the
    script fills in each node's cluster, namespace and name (URL-encoded)."""
    args = ["__CLUSTER__", "__NAMESPACE__", "__NAME__"]
    return {kind: reverse(route, args=args) for kind, route in DETAIL_ROUTES.items()}


def node_graph_templates(query: QueryDict) -> dict[str, str]:
    """Node-graph URLs per node type with placeholders, carrying the page's view options."""
    view = QueryDict(mutable=True)
    for key in VIEW_KEYS:
        if key in query:
            view.setlist(key, query.getlist(key))
    view["clusterName"] = "__CLUSTER__"
    suffix = f"?{view.urlencode()}"
    ns, name = "__NAMESPACE__", "__NAME__"
    return {
        "app": reverse("graph-node", args=[ns, "applications", name]) + suffix,
        "appVersion": reverse("graph-node-app-version", args=[ns, name, "__VERSION__"]) + suffix,
        "workload": reverse("graph-node", args=[ns, "workloads", name]) + suffix,
        "service": reverse("graph-node", args=[ns, "services", name]) + suffix,
        "aggregate": reverse("graph-node-aggregate", args=[ns, "__AGGREGATE__", "__VALUE__"])
        + suffix,
        "aggregateService": reverse(
            "graph-node-aggregate-service", args=[ns, "__AGGREGATE__", "__VALUE__", "__SERVICE__"]
        )
        + suffix,
    }


@dataclass(frozen=True)
class MiniGraph:
    """A small graph on a namespace or detail page (ND-03, DT-08): where its JSON comes
    from and the full graph it links to."""

    api_url: str
    params: dict[str, str]
    page_url: str
    focus: str  # the entity's name, drawn highlighted; "" for a namespace


MINI_GRAPH_DURATION = 600  # seconds: the traffic tab's window, so both tell the same story


def mini_graph(cluster: str, namespace: str, kind: str = "", name: str = "") -> MiniGraph:
    """`kind` and `name` for an app, workload or service's neighbourhood; neither for a
    namespace's graph."""
    graph_type = "workload" if kind == "workload" else "versionedApp"
    params = {
        "graphType": graph_type,
        "duration": f"{MINI_GRAPH_DURATION}s",
        "injectServiceNodes": "true",
        "appenders": "health,deadNode",
    }
    scope = {"duration": str(MINI_GRAPH_DURATION), "graphType": graph_type}
    if not kind:
        params["namespaces"] = namespace
        page = reverse("graph") + "?" + urlencode({**scope, "namespaces": namespace})
        return MiniGraph(reverse("api-graph"), params, page, "")
    params["clusterName"] = cluster
    focus = NodeFocus(kind, namespace, name)
    page_kind = {"app": "applications", "workload": "workloads"}.get(kind, "services")
    page = reverse("graph-node", args=[namespace, page_kind, name])
    return MiniGraph(
        focus.api_url, params, page + "?" + urlencode({**scope, "clusterName": cluster}), name
    )
