"""WorkloadGroup checks (spec §5.12)."""

from __future__ import annotations

from collections import defaultdict

from validations.codes import finding
from validations.index import ClusterIndex
from validations.model import Finding
from validations.objects import as_map, key, name_of, ns_of, others, spec

KIND = "WorkloadGroup"


def check(idx: ClusterIndex) -> list[Finding]:
    out: list[Finding] = []
    groups: dict[tuple[str, frozenset[tuple[str, str]]], list[tuple[str, str, str]]] = defaultdict(
        list
    )
    for wg in idx.ctx.of(KIND):
        ns = ns_of(wg)
        account = str(as_map(spec(wg).get("template")).get("serviceAccount") or "")
        if account and not any(
            f"{td}/ns/{ns}/sa/{account}" in idx.identities for td in idx.trust_domains
        ):
            out.append(finding(KIND, ns, name_of(wg), "KIA1701", "spec/template/serviceAccount"))
        if "metadata" in spec(wg):
            labels = as_map(as_map(spec(wg).get("metadata")).get("labels"))
            signature = frozenset((str(k), str(v)) for k, v in labels.items())
            groups[(ns, signature)].append(key(KIND, wg))
    for keys in groups.values():
        if len(keys) > 1:
            out += [
                finding(
                    KIND, k[1], k[2], "KIA1702", "spec/metadata/labels", references=others(keys, k)
                )
                for k in keys
            ]
    return out
