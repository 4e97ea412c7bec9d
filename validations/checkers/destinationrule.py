"""DestinationRule checks (spec §5.3, §6.2); all depend on what the viewpoint sees."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from validations.codes import INFO, WARNING, finding
from validations.hosts import Host, parse_host_simple, wildcard_covers
from validations.index import ClusterIndex
from validations.model import Finding
from validations.mtls import (
    ENABLING_PA,
    dr_host,
    dr_mode,
    is_mesh_wide_dr,
    is_ns_wide_dr,
    is_ns_wide_pa,
    pa_mode,
)
from validations.objects import as_list, as_map, key, name_of, ns_of, others, spec
from validations.routes import destinations
from validations.scope import Scope

KIND = "DestinationRule"
TLS_PATH = "spec/trafficPolicy/tls/mode"


def check_scope(idx: ClusterIndex, scope: Scope) -> list[Finding]:
    imported = scope.imported(KIND, scope.destination_rules)
    mutual = [d for d in imported if dr_mode(d) == "ISTIO_MUTUAL"]
    routed = _routed_subsets(idx, scope)
    out: list[Finding] = []
    for dr in scope.destination_rules:
        out += _registry(idx, scope, dr, routed)
        out += _mtls_override(idx, dr, mutual)
        out += _mtls_consistency(idx, scope, dr)
    out += _host_subset_clashes(idx, imported)
    return out


def _routed_subsets(idx: ClusterIndex, scope: Scope) -> set[tuple[str, str]]:
    """(host FQDN, subset) pairs some visible VirtualService routes to."""
    routed = set()
    for vs in scope.virtual_services:
        for _, dest in destinations(vs):
            host = idx.host(str(dest.get("host") or ""), ns_of(vs))
            routed.add((host.printed, str(dest.get("subset") or "")))
    return routed


def _host_known(idx: ClusterIndex, scope: Scope, host: Host, dr_ns: str) -> bool:
    if host.wildcard:
        return True
    if host.internal:
        service, namespace = host.service, host.namespace
    else:
        labels = host.raw.split(".")
        service, namespace = labels[0], labels[1] if len(labels) > 1 else ""
    if namespace == dr_ns and (namespace, service) in idx.app_names:
        return True
    if scope.se_hosts.matches(host.printed):
        return True
    return host.internal and idx.registry.find(host.printed, dr_ns) is not None


def _registry(
    idx: ClusterIndex, scope: Scope, dr: Mapping[str, Any], routed: set[tuple[str, str]]
) -> list[Finding]:
    ns, name = ns_of(dr), name_of(dr)
    host = idx.host(dr_host(dr), ns)
    if not _host_known(idx, scope, host, ns):
        severity = WARNING if idx.ctx.mesh.allow_any else None
        return [finding(KIND, ns, name, "KIA0202", "spec/host", severity=severity)]
    out = []
    labelled_matched = False
    unlabelled: list[int] = []
    for i, subset in enumerate(as_list(spec(dr).get("subsets"))):
        labels = as_map(as_map(subset).get("labels"))
        if not labels:
            unlabelled.append(i)
            continue
        if host.wildcard or _subset_selects(idx, scope, host, labels):
            labelled_matched = True
            continue
        sev = None if (host.printed, str(as_map(subset).get("name") or "")) in routed else INFO
        out.append(finding(KIND, ns, name, "KIA0203", f"spec/subsets[{i}]", severity=sev))
    for i in unlabelled:
        sev = INFO if labelled_matched else None
        out.append(finding(KIND, ns, name, "KIA0209", f"spec/subsets[{i}]", severity=sev))
    return out


def _subset_selects(idx: ClusterIndex, scope: Scope, host: Host, labels: Mapping[str, Any]) -> bool:
    svc = idx.registry.get(host.service, host.namespace)
    selector = idx.service_selector(svc) if svc is not None else {}
    if selector:
        wanted = {**selector, **{str(k): str(v) for k, v in labels.items()}}
        if any(selector.get(k, v) != v for k, v in wanted.items()):
            return False  # the subset contradicts the Service selector
        return idx.any_workload_matches(wanted, host.namespace)
    for se in scope.service_entries:
        for endpoint in as_list(spec(se).get("endpoints")):
            ep_labels = as_map(as_map(endpoint).get("labels"))
            if all(str(ep_labels.get(k)) == str(v) for k, v in labels.items()):
                return True
    return False


def _has_tls(dr: Mapping[str, Any]) -> bool:
    policy = as_map(spec(dr).get("trafficPolicy"))
    if not policy:
        return False
    if policy.get("tls"):
        return True
    return any(as_map(p).get("tls") for p in as_list(policy.get("portLevelSettings")))


def _mtls_override(
    idx: ClusterIndex, dr: Mapping[str, Any], mutual: list[Mapping[str, Any]]
) -> list[Finding]:
    """KIA0204 against the visible, imported ISTIO_MUTUAL rules (spec §6.2)."""
    if not mutual or _has_tls(dr):
        return []
    domain = idx.domain
    mine = parse_host_simple(dr_host(dr), ns_of(dr), domain)
    overriding = []
    for other in mutual:
        if other is dr:
            continue
        host = dr_host(other)
        if is_mesh_wide_dr(other) or is_ns_wide_dr(other, ns_of(other), domain):
            theirs = parse_host_simple(host, ns_of(other), domain)
            if host == "*.local" or (
                theirs.namespace == mine.namespace and theirs.domain == mine.domain
            ):
                overriding.append(key(KIND, other))
        elif host == f"*.{mine.namespace}.{mine.domain}" or host == mine.printed:
            overriding.append(key(KIND, other))
    if not overriding:
        return []
    me = key(KIND, dr)
    return [
        finding(
            KIND, me[1], me[2], "KIA0204", "spec/trafficPolicy", references=others(overriding, me)
        )
    ]


def _mtls_consistency(idx: ClusterIndex, scope: Scope, dr: Mapping[str, Any]) -> list[Finding]:
    ns, name = ns_of(dr), name_of(dr)
    mode = dr_mode(dr)
    auto = idx.ctx.mesh.enable_auto_mtls
    mesh_modes = [pa_mode(p) for p in scope.mesh_peer_authentications]
    ns_modes = [pa_mode(p) for p in scope.peer_authentications if is_ns_wide_pa(p)]
    mesh_wide, ns_wide = is_mesh_wide_dr(dr), is_ns_wide_dr(dr, ns, idx.domain)
    mutual, disable = mode == "ISTIO_MUTUAL", mode == "DISABLE"
    first_enabling = next((m for m in ns_modes if m in ENABLING_PA), "")
    ns_silent = not any(m in (*ENABLING_PA, "DISABLE") for m in ns_modes)
    rules = {
        "KIA0205": mesh_wide and mutual and not auto and not _enables(mesh_modes),
        "KIA0206": ns_wide and mutual and not auto and not _enables(ns_modes + mesh_modes),
        "KIA0207": ns_wide and disable and first_enabling == "STRICT",
        "KIA0208": disable and "STRICT" in mesh_modes and (mesh_wide or (ns_wide and ns_silent)),
    }
    codes = [code for code, fires in rules.items() if fires]
    return [finding(KIND, ns, name, code, TLS_PATH) for code in codes]


def _enables(modes: list[str]) -> bool:
    return any(m in ENABLING_PA for m in modes)


def _excluded_from_clashes(idx: ClusterIndex, dr: Mapping[str, Any]) -> bool:
    return dr_mode(dr) == "ISTIO_MUTUAL" and (
        is_mesh_wide_dr(dr) or is_ns_wide_dr(dr, ns_of(dr), idx.domain)
    )


def _host_subset_clashes(idx: ClusterIndex, rules: Sequence[Mapping[str, Any]]) -> list[Finding]:
    entries = []
    for dr in rules:
        if _excluded_from_clashes(idx, dr):
            continue
        host = idx.host(dr_host(dr), ns_of(dr)).printed
        names = {str(as_map(s).get("name")) for s in as_list(spec(dr).get("subsets"))}
        entries.append((key(KIND, dr), host, names or None))
    by_host: dict[str, list[int]] = defaultdict(list)
    wildcards: list[int] = []
    for n, (_, host, _) in enumerate(entries):
        (wildcards if host.startswith("*") else by_host[host]).append(n)

    def overlap(a: int, b: int) -> bool:
        sa, sb = entries[a][2], entries[b][2]
        return sa is None or sb is None or bool(sa & sb)

    clashes: dict[tuple[str, str, str], set[tuple[str, str, str]]] = defaultdict(set)

    def record(a: int, b: int) -> None:
        ka, kb = entries[a][0], entries[b][0]
        if ka != kb and overlap(a, b):
            clashes[ka].add(kb)
            clashes[kb].add(ka)

    for group in by_host.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                record(a, b)
    wildcard_set = set(wildcards)
    for w in wildcards:
        pattern = entries[w][1]
        for n, (_, host, _) in enumerate(entries):
            if n == w or (n in wildcard_set and n < w):
                continue
            if host == pattern or wildcard_covers(pattern, host) or wildcard_covers(host, pattern):
                record(w, n)
    return [
        finding(KIND, k[1], k[2], "KIA0201", "spec/host", references=others(refs, k))
        for k, refs in clashes.items()
    ]
