"""What one user may read, as every page and API checks it before showing a name.

A user's reach is the set of namespaces their own credentials may read in each cluster
(kiali_site.access works it out per request). Domain code takes it as this plain value, so
the rule "nothing from a namespace or cluster the user cannot read" is written once: a
control plane, a reference, a cluster's endpoint or an external service's address is shown
only when the viewer reaches where it lives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar


class _Namespaced(Protocol):
    @property
    def namespace(self) -> str: ...


N = TypeVar("N", bound=_Namespaced)


@dataclass(frozen=True)
class Viewer:
    namespaces: Mapping[str, frozenset[str]]
    # The console's own identity (anonymous mode, OpenID without RBAC): the person reading
    # is the console, so what the console's account reads about itself is theirs too.
    everything: bool = False

    @classmethod
    def of(cls, visible: Mapping[str, Iterable[str]]) -> Viewer:
        return cls({cluster: frozenset(names) for cluster, names in visible.items()})

    @classmethod
    def console(cls) -> Viewer:
        return cls({}, everything=True)

    def reaches(self, cluster: str) -> bool:
        """Access to a cluster is access to at least one of its namespaces, as upstream."""
        return self.everything or bool(self.namespaces.get(cluster))

    def sees(self, cluster: str, namespace: str) -> bool:
        """Cluster-scoped objects (no namespace) go with the cluster."""
        if self.everything:
            return True
        names = self.namespaces.get(cluster)
        if not names:
            return False
        return not namespace or namespace in names

    def only_seen(self, cluster: str, items: list[N]) -> list[N]:
        """The items living in namespaces this viewer sees; the same list when all are, as
        nearly always (big meshes list thousands of rows, each with a few references)."""
        if self.everything:
            return items
        names = self.namespaces.get(cluster) or frozenset()
        if all(not i.namespace or i.namespace in names for i in items):
            return items
        return [i for i in items if not i.namespace or i.namespace in names]

    def hidden(self, cluster: str, items: Iterable[_Namespaced]) -> int:
        return sum(not self.sees(cluster, i.namespace) for i in items)
