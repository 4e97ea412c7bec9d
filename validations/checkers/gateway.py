"""Istio Gateway checks (spec §5.4, §6.3)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from validations.codes import finding
from validations.index import ClusterIndex
from validations.model import Finding
from validations.objects import as_list, as_map, key, name_of, ns_of, others, spec

KIND = "Gateway"


@dataclass(frozen=True)
class _ServerHost:
    gateway: tuple[str, str, str]
    path: str
    target_ns: str  # "*" when the host has no namespace part
    name: str


def check(idx: ClusterIndex) -> list[Finding]:
    out: list[Finding] = []
    groups: dict[tuple[object, str], list[_ServerHost]] = defaultdict(list)
    for gw in idx.ctx.of(KIND):
        selector = {str(k): str(v) for k, v in as_map(spec(gw).get("selector")).items()}
        pool = ns_of(gw) if idx.ctx.mesh.scope_gateway_to_namespace else None
        if not idx.any_workload_matches(selector, pool):
            out.append(finding(KIND, ns_of(gw), name_of(gw), "KIA0302", "spec/selector"))
        rendered = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
        for i, server in enumerate(as_list(spec(gw).get("servers"))):
            port = as_map(as_map(server).get("port")).get("number")
            for j, host in enumerate(as_list(as_map(server).get("hosts"))):
                target, _, name = str(host).rpartition("/")
                target = {"": "*", ".": ns_of(gw)}.get(target, target)
                groups[(port, rendered)].append(
                    _ServerHost(key(KIND, gw), f"spec/servers[{i}]/hosts[{j}]", target, name)
                )
    skip_wildcard = idx.ctx.settings.skip_wildcard_gateway_hosts
    for hosts in groups.values():
        clashing: dict[_ServerHost, set[tuple[str, str, str]]] = defaultdict(set)
        for a_pos, a in enumerate(hosts):
            for b in hosts[a_pos + 1 :]:
                if _clash(a, b, skip_wildcard):
                    clashing[a].add(b.gateway)
                    clashing[b].add(a.gateway)
        for host, refs in clashing.items():
            k = host.gateway
            out.append(finding(KIND, k[1], k[2], "KIA0301", host.path, references=others(refs, k)))
    return out


def _clash(a: _ServerHost, b: _ServerHost, skip_wildcard: bool) -> bool:
    if a.target_ns != "*" and b.target_ns != "*" and a.target_ns != b.target_ns:
        return False
    if "*" in (a.name, b.name):
        return not skip_wildcard
    if a.name.lower() == b.name.lower():
        return True
    a_wild, b_wild = a.name.startswith("*."), b.name.startswith("*.")
    if a_wild == b_wild:
        return False
    pattern, other = (a.name, b.name) if a_wild else (b.name, a.name)
    return other.lower().endswith(pattern[1:].lower())
