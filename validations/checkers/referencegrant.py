"""ReferenceGrant check (spec §5.15)."""

from __future__ import annotations

from validations.codes import finding
from validations.index import ClusterIndex
from validations.model import Finding
from validations.objects import as_list, as_map, name_of, ns_of, spec

KIND = "K8sReferenceGrant"


def check(idx: ClusterIndex) -> list[Finding]:
    out: list[Finding] = []
    for grant in idx.ctx.of(KIND):
        for i, source in enumerate(as_list(spec(grant).get("from"))):
            if str(as_map(source).get("namespace") or "") not in idx.namespaces:
                out.append(
                    finding(
                        KIND, ns_of(grant), name_of(grant), "KIA1601", f"spec/from[{i}]/namespace"
                    )
                )
    return out
