"""What one viewpoint namespace sees (spec §2.3) and which config its Sidecar imports (§2.4).

Kiali validates VirtualServices, DestinationRules and ServiceEntries once per namespace they are
visible from and unions the findings; a Scope is one such pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from validations.hosts import ServiceEntryHosts, wildcard_covers
from validations.index import ClusterIndex
from validations.objects import as_list, as_map, ns_of, spec

Obj = Mapping[str, Any]


def config_hosts(kind: str, obj: Obj) -> list[str]:
    if kind == "DestinationRule":
        host = spec(obj).get("host")
        return [str(host)] if host else []
    return [str(h) for h in as_list(spec(obj).get("hosts"))]


def visible_from(
    obj: Obj, viewpoint: str, default_export: Sequence[str], idx: ClusterIndex
) -> bool:
    owner = ns_of(obj)
    if idx.is_ambient_ns(owner):
        return owner == viewpoint
    export = [str(e) for e in as_list(spec(obj).get("exportTo"))] or list(default_export)
    if not export:
        return True
    for entry in export:
        if entry == "*" or entry == viewpoint or (entry == "." and owner == viewpoint):
            return True
        # Kept visible everywhere so KIA0005 can report the missing namespace.
        if entry not in (".", "*") and entry not in idx.namespaces:
            return True
    return False


class SidecarImports:
    """Whether the effective Sidecar of a viewpoint imports a config host (Istio semantics)."""

    def __init__(self, sidecar: Obj | None, viewpoint: str, idx: ClusterIndex) -> None:
        self.viewpoint = viewpoint
        self.idx = idx
        self.entries: list[tuple[bool, str, str]] = []  # (excluded, namespace part, dns part)
        if sidecar is None:
            return
        for egress in as_list(spec(sidecar).get("egress")):
            for raw in as_list(as_map(egress).get("hosts")):
                ns_part, _, dns = str(raw).rpartition("/")
                ns_part = ns_part or "*"
                excluded = ns_part.startswith("~")
                if excluded:
                    ns_part = ns_part[1:] or "*"
                if ns_part == ".":
                    ns_part = viewpoint
                self.entries.append((excluded, ns_part, dns))

    @property
    def active(self) -> bool:
        return bool(self.entries)

    def imports(self, raw_host: str, config_ns: str) -> bool:
        if not self.entries:
            return True
        host = self.idx.host(raw_host, config_ns)
        matched = False
        for excluded, ns_part, dns in self.entries:
            if self._matches(host, config_ns, ns_part, dns):
                if excluded:
                    return False
                matched = True
        return matched

    @staticmethod
    def _matches(host: Any, config_ns: str, ns_part: str, dns: str) -> bool:
        if ns_part != "*":
            target = host.namespace if host.internal else config_ns
            if ns_part != target:
                return False
        if dns == "*":
            return True
        names = {host.raw, host.printed}
        if host.internal:
            names |= {host.service, f"{host.service}.{host.namespace}"}
        if dns in names:
            return True
        if wildcard_covers(dns, host.printed):
            return True
        return host.wildcard and wildcard_covers(host.printed, dns)


@dataclass
class Scope:
    viewpoint: str
    virtual_services: Sequence[Obj]
    destination_rules: Sequence[Obj]
    service_entries: Sequence[Obj]
    imports: SidecarImports
    se_hosts: ServiceEntryHosts
    peer_authentications: Sequence[Obj]  # those in the viewpoint
    mesh_peer_authentications: Sequence[Obj]  # selector-less PAs of the root namespace
    authorization_policies: Sequence[Obj]  # those in the viewpoint
    cache: dict[str, Any] = field(default_factory=dict)  # per-pass indexes built on demand

    def imported(self, kind: str, objs: Sequence[Obj]) -> Sequence[Obj]:
        if not self.imports.active:
            return objs
        return [
            o for o in objs if any(self.imports.imports(h, ns_of(o)) for h in config_hosts(kind, o))
        ]


def effective_sidecar(idx: ClusterIndex, viewpoint: str) -> Obj | None:
    if idx.is_ambient_ns(viewpoint):
        return None
    sidecars = idx.ctx.of("Sidecar")
    for namespace in (viewpoint, idx.root):
        for sc in sidecars:
            if ns_of(sc) == namespace and not as_map(spec(sc).get("workloadSelector")).get(
                "labels"
            ):
                return sc
    return None


def build_scope(idx: ClusterIndex, viewpoint: str) -> Scope:
    ctx, mesh = idx.ctx, idx.ctx.mesh
    vs = [
        o
        for o in ctx.of("VirtualService")
        if visible_from(o, viewpoint, mesh.default_virtual_service_export_to, idx)
    ]
    dr = [
        o
        for o in ctx.of("DestinationRule")
        if visible_from(o, viewpoint, mesh.default_destination_rule_export_to, idx)
    ]
    se = [
        o
        for o in ctx.of("ServiceEntry")
        if visible_from(o, viewpoint, mesh.default_service_export_to, idx)
    ]
    pas = ctx.of("PeerAuthentication")
    return Scope(
        viewpoint=viewpoint,
        virtual_services=vs,
        destination_rules=dr,
        service_entries=se,
        imports=SidecarImports(effective_sidecar(idx, viewpoint), viewpoint, idx),
        se_hosts=ServiceEntryHosts(se),
        peer_authentications=[p for p in pas if ns_of(p) == viewpoint],
        mesh_peer_authentications=[
            p for p in pas if ns_of(p) == idx.root and "selector" not in spec(p)
        ],
        authorization_policies=[a for a in ctx.of("AuthorizationPolicy") if ns_of(a) == viewpoint],
    )
