"""Small readers over raw Kubernetes objects, so checkers never repeat `.get(...) or {}`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from validations.model import Obj


def meta(obj: Obj) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def name_of(obj: Obj) -> str:
    return str(meta(obj).get("name") or "")


def ns_of(obj: Obj) -> str:
    return str(meta(obj).get("namespace") or "")


def labels_of(obj: Obj) -> dict[str, str]:
    return {str(k): str(v) for k, v in (meta(obj).get("labels") or {}).items()}


def annotations_of(obj: Obj) -> dict[str, str]:
    return {str(k): str(v) for k, v in (meta(obj).get("annotations") or {}).items()}


def spec(obj: Obj) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Equality label selection; an empty selector matches everything."""
    return all(labels.get(str(k)) == str(v) for k, v in selector.items())


def contained(small: Mapping[str, Any], big: Mapping[str, Any]) -> bool:
    return all(k in big and str(big[k]) == str(v) for k, v in small.items())


def expression_selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A full Kubernetes LabelSelector (matchLabels and matchExpressions)."""
    if not selector_matches(as_map(selector.get("matchLabels")), labels):
        return False
    for expr in as_list(selector.get("matchExpressions")):
        key, op = str(expr.get("key", "")), str(expr.get("operator", ""))
        values = [str(v) for v in as_list(expr.get("values"))]
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def key(kind: str, obj: Obj) -> tuple[str, str, str]:
    return (kind, ns_of(obj), name_of(obj))


def others(
    keys: Iterable[tuple[str, str, str]], me: tuple[str, str, str]
) -> tuple[tuple[str, str, str], ...]:
    return tuple(sorted({k for k in keys if k != me}))
