"""The Overview page's cards, counted from snapshots and the health lookup (features.md OV)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from mesh.health.model import DEGRADED, FAILURE, HEALTHY, NA, NOT_READY
from mesh.health.serving import HealthLookup
from mesh.inventory.model import ClusterSnapshot
from mesh.kube.controlplanes import ControlPlane

STATUS_ORDER = (FAILURE, DEGRADED, NOT_READY, HEALTHY, NA)


@dataclass
class HealthCounts:
    counts: Counter[str] = field(default_factory=Counter)
    unhealthy: list[tuple[str, str, str]] = field(default_factory=list)  # cluster, name, status

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def ordered(self) -> list[tuple[str, int]]:
        return [(s, self.counts.get(s, 0)) for s in STATUS_ORDER]


@dataclass
class Overview:
    clusters: list[str]
    cluster_errors: dict[str, str]
    control_planes: list[ControlPlane]
    data_planes: HealthCounts
    ambient_namespaces: int
    sidecar_namespaces: int
    applications: HealthCounts

    @property
    def healthy_clusters(self) -> int:
        return sum(1 for c in self.clusters if c not in self.cluster_errors)


def overview(
    clusters: Iterable[str],
    snapshots: Mapping[str, ClusterSnapshot],
    visible: Mapping[str, Iterable[str]],
    health: HealthLookup,
    cluster_errors: Mapping[str, str],
) -> Overview:
    data_planes, apps = HealthCounts(), HealthCounts()
    ambient = sidecar = 0
    planes: list[ControlPlane] = []
    for cluster, names in visible.items():
        snapshot = snapshots.get(cluster)
        if snapshot is None:
            continue
        names = list(names)
        # A control plane is shown only to those who may read its namespace, as upstream.
        planes += [cp for cp in snapshot.control_planes if cp.namespace in names]
        for ns in names:
            inventory = snapshot.namespaces.get(ns)
            if inventory is None:
                continue
            # Every application is counted, as the Applications list it links to shows them
            # all; namespaces are counted as data planes only outside control planes.
            for app in inventory.apps:
                entry = health.app(cluster, ns, app.name)
                app_status = entry.status.status if entry else NA
                apps.counts[app_status] += 1
                if app_status in (FAILURE, DEGRADED):
                    apps.unhealthy.append((cluster, f"{ns}/{app.name}", app_status))
            if inventory.namespace.is_control_plane:
                continue
            rollup = health.namespace(cluster, ns)
            status = rollup.worst if rollup else NA
            data_planes.counts[status] += 1
            if status in (FAILURE, DEGRADED):
                data_planes.unhealthy.append((cluster, ns, status))
            if inventory.namespace.is_ambient:
                ambient += 1
            elif inventory.namespace.mode == "Sidecar":
                sidecar += 1
    return Overview(
        clusters=sorted(clusters),
        cluster_errors=dict(cluster_errors),
        control_planes=planes,
        data_planes=data_planes,
        ambient_namespaces=ambient,
        sidecar_namespaces=sidecar,
        applications=apps,
    )
