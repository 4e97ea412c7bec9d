"""Rows of the Applications, Workloads, Services and Namespaces lists: filter and sort.

Pages hand in snapshots already narrowed to what the request may see, plus a health lookup;
everything here is plain data so the same rows feed the HTML lists and the JSON API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from mesh.health.model import NA, PRIORITY, StatusInfo
from mesh.health.serving import HealthLookup, NamespaceRollUp
from mesh.inventory.model import (
    App,
    ClusterSnapshot,
    IstioRef,
    NamespaceInfo,
    NamespaceInventory,
    Service,
    Workload,
)
from mesh.inventory.tls import ORDER as TLS_ORDER
from mesh.inventory.tls import NamespaceTLS, namespace_tls
from mesh.viewer import Viewer

KINDS = ("app", "workload", "service")
SORTS = ("name", "namespace", "cluster", "health", "details", "type")


@dataclass(frozen=True)
class ListFilters:
    name: str = ""
    health: str = ""  # a status value, "" for any
    label: str = ""  # "key" or "key=value"
    plane: str = ""  # namespaces only: "control-plane", "data-plane" or "" for both
    mtls: str = ""  # namespaces only: a mesh.inventory.tls status, or "" for any
    sort: str = "name"
    descending: bool = False


@dataclass(slots=True)
class EntityRow:
    """One list row; built for every object on each request (10,000 on a big mesh), hence
    slots and no frozen-dataclass setattr cost."""

    kind: str  # app, workload, service
    cluster: str
    namespace: str
    name: str
    labels: dict[str, str]
    health: StatusInfo | None
    istio_refs: list[IstioRef] = field(default_factory=list)
    type: str = ""  # the workload kind, for workloads
    missing_sidecar: bool = False
    missing_app_label: bool = False
    missing_version_label: bool = False
    is_gateway: bool = False
    is_ambient: bool = False

    @property
    def status(self) -> str:
        return self.health.status if self.health else NA

    @property
    def gateways_and_routes(self) -> list[IstioRef]:
        return [r for r in self.istio_refs if r.kind in ("Gateway", "VirtualService")]


@dataclass(frozen=True)
class NamespaceRow:
    namespace: NamespaceInfo
    health: NamespaceRollUp | None
    app_count: int
    workload_count: int
    service_count: int
    tls: NamespaceTLS | None = None

    @property
    def status(self) -> str:
        return self.health.worst if self.health else NA


def _label_matches(labels: Mapping[str, str], wanted: str) -> bool:
    if not wanted:
        return True
    key, _, value = wanted.partition("=")
    key, value = key.strip(), value.strip()
    if key not in labels:
        return False
    return not value or value in labels[key].split(",")


def _app_row(app: App, health: HealthLookup) -> EntityRow:
    entry = health.app(app.cluster, app.namespace, app.name)
    return EntityRow(
        "app",
        app.cluster,
        app.namespace,
        app.name,
        app.labels,
        entry.status if entry else None,
        app.istio_refs,
        missing_sidecar=not app.has_sidecar and not app.is_ambient,
        is_ambient=app.is_ambient,
    )


def _workload_row(w: Workload, health: HealthLookup) -> EntityRow:
    entry = health.workload(w.cluster, w.namespace, w.name)
    return EntityRow(
        "workload",
        w.cluster,
        w.namespace,
        w.name,
        w.labels,
        entry.status if entry else None,
        w.istio_refs,
        type=w.kind,
        missing_sidecar=w.missing_sidecar,
        missing_app_label=not w.app,
        missing_version_label=not w.version,
        is_gateway=w.is_gateway,
        is_ambient=w.is_ambient,
    )


def _service_row(s: Service, health: HealthLookup) -> EntityRow:
    entry = health.service(s.cluster, s.namespace, s.name)
    return EntityRow(
        "service",
        s.cluster,
        s.namespace,
        s.name,
        s.labels,
        entry.status if entry else None,
        s.istio_refs,
        missing_sidecar=not s.has_sidecar,
    )


def visible_inventories(
    snapshots: Mapping[str, ClusterSnapshot], visible: Mapping[str, Iterable[str]]
) -> Iterator[tuple[str, str, NamespaceInventory]]:
    """(cluster, namespace, inventory) of every visible namespace that has a snapshot."""
    for cluster, names in visible.items():
        snapshot = snapshots.get(cluster)
        if snapshot is None:
            continue
        for ns in names:
            inventory = snapshot.namespaces.get(ns)
            if inventory is not None:
                yield cluster, ns, inventory


def entity_rows(
    kind: str,
    snapshots: Mapping[str, ClusterSnapshot],
    visible: Mapping[str, Iterable[str]],
    health: HealthLookup,
    viewer: Viewer,
) -> list[EntityRow]:
    """Rows of one kind for the chosen namespaces of each cluster, unfiltered; references
    into namespaces the viewer cannot read are left out."""
    rows: list[EntityRow] = []
    for cluster, _, inventory in visible_inventories(snapshots, visible):
        start = len(rows)
        if kind == "app":
            rows += [_app_row(a, health) for a in inventory.apps]
        elif kind == "workload":
            rows += [_workload_row(w, health) for w in inventory.workloads]
        else:
            rows += [_service_row(s, health) for s in inventory.services]
        for row in rows[start:]:
            row.istio_refs = viewer.only_seen(cluster, row.istio_refs)
    return rows


def _by_name(r: EntityRow) -> tuple[object, ...]:
    return (r.name, r.namespace, r.cluster)


def _sort_key(sort: str) -> Callable[[EntityRow], tuple[object, ...]]:
    if sort == "namespace":
        return lambda r: (r.namespace, *_by_name(r))
    if sort == "cluster":
        return lambda r: (r.cluster, *_by_name(r))
    if sort == "health":
        # worst first when ascending, as Kiali lists problems on top
        return lambda r: (-PRIORITY[r.status], *_by_name(r))
    if sort == "details":
        return lambda r: (-len(r.istio_refs), *_by_name(r))
    if sort == "type":
        return lambda r: (r.type, *_by_name(r))
    return _by_name


def filter_rows(rows: Sequence[EntityRow], filters: ListFilters) -> list[EntityRow]:
    needle = filters.name.strip().lower()
    kept = [
        r
        for r in rows
        if (not needle or needle in r.name.lower())
        and (not filters.health or r.status == filters.health)
        and _label_matches(r.labels, filters.label)
    ]
    kept.sort(key=_sort_key(filters.sort if filters.sort in SORTS else "name"))
    if filters.descending:
        kept.reverse()
    return kept


def namespace_rows(
    snapshots: Mapping[str, ClusterSnapshot],
    visible: Mapping[str, Iterable[str]],
    health: HealthLookup,
    root_namespace: str = "istio-system",
) -> list[NamespaceRow]:
    """`root_namespace` holds the mesh-wide PeerAuthentication each row's mTLS falls back to
    (read from the snapshot whether or not the user may list that namespace: only the
    resulting status is shown)."""
    return [
        NamespaceRow(
            inventory.namespace,
            health.namespace(cluster, ns),
            len(inventory.apps),
            len(inventory.workloads),
            len(inventory.services),
            namespace_tls(inventory, snapshots[cluster].namespaces.get(root_namespace)),
        )
        for cluster, ns, inventory in visible_inventories(snapshots, visible)
    ]


def _plane(row: NamespaceRow) -> str:
    return "control-plane" if row.namespace.is_control_plane else "data-plane"


def filter_namespace_rows(rows: Sequence[NamespaceRow], filters: ListFilters) -> list[NamespaceRow]:
    needle = filters.name.strip().lower()
    kept = [
        r
        for r in rows
        if (not needle or needle in r.namespace.name.lower())
        and (not filters.health or r.status == filters.health)
        and _label_matches(r.namespace.labels, filters.label)
        and (not filters.plane or filters.plane == _plane(r))
        and (not filters.mtls or (r.tls is not None and r.tls.status == filters.mtls))
    ]

    def key(r: NamespaceRow) -> tuple[object, ...]:
        base = (r.namespace.name, r.namespace.cluster)
        if filters.sort == "health":
            return (-PRIORITY[r.status], *base)
        if filters.sort == "cluster":
            return (r.namespace.cluster, *base)
        if filters.sort == "mtls":
            return (r.tls.rank if r.tls else len(TLS_ORDER), *base)
        return base

    kept.sort(key=key)
    if filters.descending:
        kept.reverse()
    return kept
