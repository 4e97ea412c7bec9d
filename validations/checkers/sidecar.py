"""Sidecar checks (spec §5.8); KIA0002-0004 live in generic."""

from __future__ import annotations

from validations.codes import finding
from validations.hosts import ServiceEntryHosts, parse_host_simple
from validations.index import ClusterIndex
from validations.model import Finding
from validations.objects import as_list, as_map, name_of, ns_of, spec
from validations.scope import visible_from

KIND = "Sidecar"


def check(idx: ClusterIndex) -> list[Finding]:
    out: list[Finding] = []
    se_by_ns: dict[str, ServiceEntryHosts] = {}
    for sc in idx.ctx.of(KIND):
        ns, name = ns_of(sc), name_of(sc)
        if ns not in se_by_ns:
            se_by_ns[ns] = ServiceEntryHosts(
                se
                for se in idx.ctx.of("ServiceEntry")
                if visible_from(se, ns, idx.ctx.mesh.default_service_export_to, idx)
            )
        for i, egress in enumerate(as_list(spec(sc).get("egress"))):
            for j, raw in enumerate(as_list(as_map(egress).get("hosts"))):
                dns = str(raw).rpartition("/")[2]
                if dns == "*":
                    continue
                # Kiali looks the DNS part up relative to the Sidecar, ignoring the ns/ part.
                host = parse_host_simple(dns, ns, idx.domain)
                known = (
                    (host.wildcard and host.namespace == ns)
                    or se_by_ns[ns].matches(host.printed)
                    or (host.internal and idx.registry.find(host.printed, ns) is not None)
                )
                if not known:
                    out.append(finding(KIND, ns, name, "KIA1004", f"spec/egress[{i}]/hosts[{j}]"))
        if ns == idx.root and as_map(spec(sc).get("workloadSelector")).get("labels"):
            out.append(finding(KIND, ns, name, "KIA1006", "spec/workloadSelector"))
        policy = spec(sc).get("outboundTrafficPolicy")
        # Kiali reads an unset mode and REGISTRY_ONLY alike (both decode to 0), so an
        # explicit REGISTRY_ONLY is reported too; kept for compatibility (spec §9.8).
        if isinstance(policy, dict) and (
            str(policy.get("mode") or "REGISTRY_ONLY").upper() == "REGISTRY_ONLY"
        ):
            out.append(finding(KIND, ns, name, "KIA1007", "spec/outboundTrafficPolicy"))
    return out
