"""VirtualService checks (spec §5.9, §6.5)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from validations.codes import WARNING, finding
from validations.hosts import Host, wildcard_covers
from validations.index import ClusterIndex
from validations.model import Finding
from validations.objects import as_list, as_map, key, name_of, ns_of, others, spec
from validations.routes import destinations, routes
from validations.scope import Scope

KIND = "VirtualService"


def check(idx: ClusterIndex) -> list[Finding]:
    """The viewpoint-independent checks: gateway references and route shapes."""
    gateways = {(ns_of(g), name_of(g)) for g in idx.ctx.of("Gateway")}
    out: list[Finding] = []
    for vs in idx.ctx.of(KIND):
        out += _gateway_refs(idx, vs, gateways)
        out += _route_shapes(idx, vs)
    return out


def _resolve_gateway(ref: str, vs_ns: str, domain: str) -> tuple[str, str] | None:
    if "/" in ref:
        ns, _, name = ref.partition("/")
        return (ns, name)
    if "." in ref:
        labels = ref.split(".")
        tail = ".".join(labels[2:])
        if tail and tail != domain:
            return None
        return (labels[1], labels[0])
    return (vs_ns, ref)


def _gateway_refs(
    idx: ClusterIndex, vs: Mapping[str, Any], gateways: set[tuple[str, str]]
) -> list[Finding]:
    ns, name = ns_of(vs), name_of(vs)
    refs: list[tuple[str, int, str]] = [
        ("spec/gateways", k, str(g)) for k, g in enumerate(as_list(spec(vs).get("gateways")))
    ]
    for i, http in enumerate(as_list(spec(vs).get("http"))):
        for match in as_list(as_map(http).get("match")):
            for k, g in enumerate(as_list(as_map(match).get("gateways"))):
                refs.append((f"spec/http[{i}]/match/gateways", k, str(g)))
    out = []
    for base, k, ref in refs:
        if ref == "mesh":
            continue
        if "/" not in ref and "." in ref:
            out.append(finding(KIND, ns, name, "KIA1108", f"spec/gateways[{k}]"))
        if _resolve_gateway(ref, ns, idx.domain) not in gateways:
            out.append(finding(KIND, ns, name, "KIA1102", f"{base}[{k}]"))
    return out


def _route_shapes(idx: ClusterIndex, vs: Mapping[str, Any]) -> list[Finding]:
    ns, name = ns_of(vs), name_of(vs)
    out = []
    for kind, i, dests in routes(vs):
        if len(dests) == 1 and isinstance(dests[0], Mapping):
            weight = dests[0].get("weight") or 0
            if isinstance(weight, int) and 0 < weight < 100:
                out.append(finding(KIND, ns, name, "KIA1104", f"spec/{kind}[{i}]/route[0]/weight"))
        seen: dict[tuple[str, str], list[int]] = defaultdict(list)
        complete = True
        for j, weighted in enumerate(dests):
            dest = as_map(as_map(weighted).get("destination"))
            if not dest:
                complete = False  # Kiali stops the whole route's scan here
                break
            host = idx.host(str(dest.get("host") or ""), ns)
            seen[(host.printed, str(dest.get("subset") or ""))].append(j)
        if not complete:
            continue
        for positions in seen.values():
            if len(positions) > 1:
                out += [
                    finding(KIND, ns, name, "KIA1105", f"spec/{kind}[{i}]/route[{j}]/host")
                    for j in positions
                ]
    return out


def check_scope(idx: ClusterIndex, scope: Scope) -> list[Finding]:
    """Checks that depend on what the viewpoint sees: hosts, subsets and host clashes."""
    out: list[Finding] = []
    subsets = _SubsetIndex(idx, scope.imported("DestinationRule", scope.destination_rules))
    severity = WARNING if idx.ctx.mesh.allow_any else None
    for vs in scope.virtual_services:
        ns, name = ns_of(vs), name_of(vs)
        imported = not scope.imports.active or any(
            scope.imports.imports(str(h), ns) for h in as_list(spec(vs).get("hosts"))
        )
        for path, dest in destinations(vs):
            raw = str(dest.get("host") or "")
            if not raw:
                continue
            host = idx.host(raw, ns)
            known = scope.se_hosts.matches(host.printed) or (
                host.internal and idx.registry.find(host.printed, ns) is not None
            )
            if not known:
                out.append(finding(KIND, ns, name, "KIA1101", f"{path}/host", severity=severity))
            subset = str(dest.get("subset") or "")
            if subset and imported and subset not in subsets.defined_for(host):
                out.append(finding(KIND, ns, name, "KIA1107", path))
    out += _host_clashes(idx, scope.imported(KIND, scope.virtual_services))
    return out


class _SubsetIndex:
    def __init__(self, idx: ClusterIndex, rules: Sequence[Mapping[str, Any]]) -> None:
        self.by_host: dict[str, set[str]] = defaultdict(set)
        self.wildcards: list[tuple[str, str, set[str]]] = []
        for dr in rules:
            names = {str(as_map(s).get("name")) for s in as_list(spec(dr).get("subsets"))}
            host = idx.host(str(spec(dr).get("host") or ""), ns_of(dr))
            if host.wildcard:
                self.wildcards.append((host.raw, host.printed, names))
            else:
                self.by_host[host.printed] |= names

    def defined_for(self, host: Host) -> set[str]:
        names = set(self.by_host.get(host.printed, ()))
        for raw, printed, subset_names in self.wildcards:
            if wildcard_covers(raw, host.printed) or wildcard_covers(printed, host.printed):
                names |= subset_names
        return names


def _host_clashes(idx: ClusterIndex, services: Sequence[Mapping[str, Any]]) -> list[Finding]:
    # (gateway, domain, namespace) -> service -> VS keys; a VS without gateways gets a bucket
    # of its own, distinct from "mesh".
    buckets: dict[tuple[str | None, str, str], dict[str, set[tuple[str, str, str]]]] = defaultdict(
        lambda: defaultdict(set)
    )
    for vs in services:
        me = key(KIND, vs)
        gateways: list[str | None] = [str(g) for g in as_list(spec(vs).get("gateways"))] or [None]
        for raw in as_list(spec(vs).get("hosts")):
            host = idx.host(str(raw), ns_of(vs))
            for gw in gateways:
                buckets[(gw, host.domain, host.namespace)][host.service].add(me)
    flagged: dict[tuple[str, str, str], set[tuple[str, str, str]]] = defaultdict(set)
    for by_service in buckets.values():
        for keys in by_service.values():
            if len(keys) > 1:
                for k in keys:
                    flagged[k] |= keys - {k}
        wildcard = by_service.get("*", set())
        everyone = set().union(*by_service.values())
        if wildcard and len(everyone) > 1:
            for k in wildcard:
                flagged[k] |= everyone - {k}
            for k in everyone - wildcard:
                flagged[k] |= wildcard
    return [
        finding(KIND, k[1], k[2], "KIA1106", "spec/hosts", references=others(refs, k))
        for k, refs in flagged.items()
    ]
