"""PeerAuthentication mTLS consistency checks (spec §5.5); KIA0002-0004 live in generic."""

from __future__ import annotations

from validations.codes import finding
from validations.index import ClusterIndex
from validations.model import Finding
from validations.mtls import (
    MUTUAL_DR,
    dr_mode,
    is_mesh_wide_dr,
    is_ns_wide_dr,
    is_ns_wide_pa,
    pa_mode,
)
from validations.objects import name_of, ns_of
from validations.scope import Scope

KIND = "PeerAuthentication"


def check_scope(idx: ClusterIndex, scope: Scope) -> list[Finding]:
    out: list[Finding] = []
    auto = idx.ctx.mesh.enable_auto_mtls
    rules = scope.destination_rules
    mesh_modes = [dr_mode(d) for d in rules if is_mesh_wide_dr(d)]
    for pa in scope.peer_authentications:
        if not is_ns_wide_pa(pa):
            continue
        ns, mode = ns_of(pa), pa_mode(pa)
        in_root = ns == idx.root
        ns_modes = [dr_mode(d) for d in rules if is_ns_wide_dr(d, ns, idx.domain)]
        code = ""
        if mode == "STRICT" and not auto:
            if in_root and "ISTIO_MUTUAL" not in mesh_modes:
                code = "KIA0401"
            elif not in_root and "ISTIO_MUTUAL" not in ns_modes + mesh_modes:
                code = "KIA0501"
        elif mode == "DISABLE":
            mesh_mutual = any(m in MUTUAL_DR for m in mesh_modes)
            if in_root and mesh_mutual:
                code = "KIA0506"
            elif not in_root:
                decided = next((m for m in ns_modes if m in (*MUTUAL_DR, "DISABLE")), "")
                if decided in MUTUAL_DR or (not decided and mesh_mutual):
                    code = "KIA0505"
        if code:
            out.append(finding(KIND, ns, name_of(pa), code, "spec/mtls"))
    return out
