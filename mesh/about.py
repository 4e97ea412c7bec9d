"""What the masthead's Istio status and the About view tell a user about the mesh: the
control planes they may see, per cluster, and the versions of what the console talks to.
Built from the inventory snapshots (no API call per page), through the user's visible
namespaces like every other page."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata

from mesh.inventory.model import ClusterSnapshot
from mesh.kube.controlplanes import ControlPlane


@dataclass(frozen=True)
class ClusterIstio:
    cluster: str
    control_planes: list[ControlPlane] = field(default_factory=list)
    problem: str = ""  # why the cluster's control planes are not known now

    @property
    def issues(self) -> int:
        return sum(not cp.ready for cp in self.control_planes) + bool(self.problem)


@dataclass(frozen=True)
class IstioStatus:
    """SH-07: one indicator for the user's control planes in every cluster."""

    clusters: list[ClusterIstio]

    @property
    def issues(self) -> int:
        return sum(c.issues for c in self.clusters)

    @property
    def state(self) -> str:
        """ok, warning (some issue) or error (a cluster with no ready control plane)."""
        if not self.issues:
            return "ok"
        if any(c.problem or not any(cp.ready for cp in c.control_planes) for c in self.clusters):
            return "error"
        return "warning"


def istio_status(
    visible: Mapping[str, Iterable[str]],
    snapshot: Callable[[str], ClusterSnapshot | None],
    problems: Mapping[str, str],
) -> IstioStatus | None:
    """The control planes in namespaces the user sees, per cluster, with the cluster's
    problem (unreachable: its planes as last read); None when they see none anywhere
    (nothing to report, as upstream shows no indicator to such users)."""
    clusters = []
    for cluster in sorted(visible):
        names = set(visible[cluster])
        found = snapshot(cluster)  # for a cluster down, what was last read of it
        planes = [cp for cp in found.control_planes if cp.namespace in names] if found else []
        if planes:
            clusters.append(ClusterIstio(cluster, planes, problems.get(cluster, "")))
    return IstioStatus(clusters) if clusters else None


def console_version() -> str:
    try:
        return metadata.version("kiali-console")
    except metadata.PackageNotFoundError:
        return "unknown"
