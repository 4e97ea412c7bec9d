"""What a change would do to the mesh's validations, before it is made (issue 19: beyond
Kiali). The cluster's Istio objects as they are, and as they would be with the change, are
both validated; the findings that appear or disappear are the preview's answer.

Findings are cut to the namespaces the user may see, like every other list: a change can
break an object elsewhere, but the user is told only what they may read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kiali_site.config import KialiConfig
from validations.engine import validate
from validations.live import ClusterObjects, context_for
from validations.model import ObjectValidation


@dataclass(frozen=True)
class FindingChange:
    kind: str
    namespace: str
    name: str
    code: str
    severity: str
    message: str


@dataclass(frozen=True)
class FindingsDiff:
    added: list[FindingChange]
    removed: list[FindingChange]

    @property
    def adds_error(self) -> bool:
        return any(f.severity == "error" for f in self.added)


def _key(doc: dict[str, Any]) -> tuple[str, str, str, str]:
    """The API group is part of the key: Istio's Gateway and Gateway API's share a kind."""
    meta = doc.get("metadata") or {}
    group = str(doc.get("apiVersion", "")).rpartition("/")[0]
    return (group, str(doc.get("kind")), str(meta.get("namespace", "")), str(meta.get("name", "")))


def _findings(records: list[ObjectValidation]) -> set[FindingChange]:
    return {
        FindingChange(r.kind, r.namespace, r.name, c.code, c.severity, c.message)
        for r in records
        for c in r.checks
    }


def findings_diff(
    objects: ClusterObjects,
    config: KialiConfig,
    changed: Sequence[dict[str, Any]],
    sees: Callable[[str], bool],
    *,
    deleted: bool = False,
) -> FindingsDiff:
    """`changed`: the objects as the change writes them (or, with `deleted`, the objects
    it removes); `sees(namespace)`: whether the user may read that namespace."""
    replaced = {_key(doc) for doc in changed}
    after_docs = [d for d in objects.documents if _key(d) not in replaced]
    if not deleted:
        after_docs += list(changed)
    after = ClusterObjects(objects.cluster, objects.resources, after_docs, objects.problems)
    before_findings = _findings(validate(context_for(objects, config)))
    after_findings = _findings(validate(context_for(after, config)))

    def shown(found: set[FindingChange]) -> list[FindingChange]:
        return sorted(
            (f for f in found if sees(f.namespace)), key=lambda f: (f.kind, f.name, f.code)
        )

    return FindingsDiff(
        added=shown(after_findings - before_findings),
        removed=shown(before_findings - after_findings),
    )
