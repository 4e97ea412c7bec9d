"""Links out of a metrics panel: Grafana dashboards and the tracing UI (features DT-05, EX-02/03).

Grafana links are built from configuration alone: the console does not search Grafana's API
for dashboard URLs, it opens Grafana's slug route (`/dashboard/db/<slug>`), which Grafana
redirects to the dashboard of that title. Each configured dashboard names the URL variables
it understands; a dashboard is offered for the kinds whose variable it declares.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from kiali_site.config import GrafanaConfig, TracingConfig

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# the kind's own variable; namespaces use dashboards that take nothing more specific
_KIND_VARIABLE = {"workload": "workload", "app": "app", "service": "service"}


@dataclass(frozen=True)
class Link:
    title: str
    url: str


def _slug(name: str) -> str:
    return _NOT_SLUG.sub("-", name.lower()).strip("-")


def grafana_links(grafana: GrafanaConfig, kind: str, namespace: str, name: str = "") -> list[Link]:
    if not grafana.enabled or not grafana.external_url:
        return []
    base = grafana.external_url.rstrip("/")
    found: list[Link] = []
    for dashboard in grafana.dashboards:
        variables = dashboard.variables
        own = _KIND_VARIABLE.get(kind)
        if own is None:
            if not variables.get("namespace") or any(
                variables.get(v) for v in _KIND_VARIABLE.values()
            ):
                continue
        elif not variables.get(own):
            continue
        query: list[tuple[str, str]] = []
        if variables.get("namespace"):
            query.append((variables["namespace"], namespace))
        if own == "service":
            query.append((variables["service"], f"{name}.{namespace}.svc.cluster.local"))
        elif own is not None:
            query.append((variables[own], name))
        if grafana.datasource_uid and variables.get("datasource"):
            query.append((variables["datasource"], grafana.datasource_uid))
        url = f"{base}/dashboard/db/{quote(_slug(dashboard.name))}"
        if query:
            url += "?" + urlencode(query)
        found.append(Link(f"View in Grafana: {dashboard.name}", url))
    return found


def tracing_link(tracing: TracingConfig, namespace: str, service: str) -> Link | None:
    """The tracing UI filtered to one service's traces (its app or service name)."""
    if not tracing.enabled or not tracing.external_url or not service:
        return None
    base = tracing.external_url.rstrip("/")
    traced = f"{service}.{namespace}" if tracing.namespace_selector else service
    if tracing.provider == "tempo":
        # Tempo has no UI of its own; Grafana's Explore runs a TraceQL search for the service.
        state = {
            "queries": [
                {
                    "refId": "A",
                    "queryType": "traceql",
                    "query": f'{{resource.service.name="{traced}"}}',
                }
            ]
        }
        return Link("View in Tracing", f"{base}/explore?{urlencode({'left': json.dumps(state)})}")
    return Link("View in Tracing", f"{base}/search?{urlencode({'service': traced})}")
