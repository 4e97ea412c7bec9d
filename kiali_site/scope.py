"""The cluster and namespace selection a page is scoped to, held in the query string.

Kiali keeps its namespace selection in `namespaces=a,b` and the cluster in `clusterName`;
the same names are used here so links between the two consoles' pages translate directly.
Only visible namespaces can be selected: anything else in the query string is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiali_site.access import unreachable_reason, visible_namespaces
from kiali_site.context import MeshRequest
from mesh.kube.namespaces import Namespace


@dataclass(frozen=True)
class PageScope:
    clusters: list[str]
    cluster: str  # "" = every cluster
    namespaces: list[Namespace]  # visible in the chosen cluster(s)
    selected: list[str]  # chosen namespace names, all visible; [] = every namespace
    errors: dict[str, str] = field(default_factory=dict)
    # Clusters that do not answer, with why: listed from what was last read of them.
    unreachable: dict[str, str] = field(default_factory=dict)

    @property
    def namespace_names(self) -> list[str]:
        return sorted({ns.name for ns in self.namespaces})

    def chosen(self) -> list[Namespace]:
        """The namespaces the page should show."""
        if not self.selected:
            return self.namespaces
        return [ns for ns in self.namespaces if ns.name in self.selected]


def page_scope(request: MeshRequest) -> PageScope:
    visible, errors = visible_namespaces(request)
    clusters = sorted(visible)
    cluster = request.GET.get("clusterName", "")
    if cluster not in visible:
        cluster = ""
    namespaces = [
        ns for name in ([cluster] if cluster else clusters) for ns in visible.get(name, [])
    ]
    names = {ns.name for ns in namespaces}
    raw = ",".join(request.GET.getlist("namespaces"))
    selected = sorted({n.strip() for n in raw.split(",") if n.strip() in names})
    unreachable = {
        c: r for c in sorted({*clusters, *errors}) if (r := unreachable_reason(request, c))
    }
    return PageScope(clusters, cluster, namespaces, selected, errors, unreachable)
