"""ServiceEntry host/port clashes (spec §5.7); KIA0005 lives in generic."""

from __future__ import annotations

from collections import defaultdict

from validations.codes import finding
from validations.index import ClusterIndex
from validations.model import Finding
from validations.objects import as_list, as_map, key, others, spec
from validations.scope import Scope

KIND = "ServiceEntry"


def check_scope(idx: ClusterIndex, scope: Scope) -> list[Finding]:
    # (host, port) -> [(SE key, port index, protocol)]
    groups: dict[tuple[str, object], list[tuple[tuple[str, str, str], int, str]]] = defaultdict(
        list
    )
    for se in scope.imported(KIND, scope.service_entries):
        hosts = {str(h).lower() for h in as_list(spec(se).get("hosts"))}
        for i, port in enumerate(as_list(spec(se).get("ports"))):
            number = as_map(port).get("number")
            protocol = str(as_map(port).get("protocol") or "").upper()
            for host in hosts:
                groups[(host, number)].append((key(KIND, se), i, protocol))
    out: list[Finding] = []
    for members in groups.values():
        keys = {m[0] for m in members}
        if len(keys) < 2:
            continue
        code = "KIA1211" if len({m[2] for m in members}) == 1 else "KIA1212"
        out += [
            finding(KIND, k[1], k[2], code, f"spec/ports[{i}]", references=others(keys, k))
            for k, i, _ in members
        ]
    return out
