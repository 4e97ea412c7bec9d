"""Kubernetes label-selector semantics, for discovery selectors and service selectors alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def matches_expression(labels: Mapping[str, str], expression: Mapping[str, Any]) -> bool:
    key, operator = expression.get("key", ""), expression.get("operator", "")
    values = list(expression.get("values") or [])
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False  # an unknown operator selects nothing, as the API server would reject it


def matches_selector(
    labels: Mapping[str, str],
    match_labels: Mapping[str, str],
    match_expressions: Iterable[Mapping[str, Any]] = (),
) -> bool:
    """Terms inside one selector are ANDed; an empty selector selects everything."""
    if any(labels.get(k) != v for k, v in match_labels.items()):
        return False
    return all(matches_expression(labels, e) for e in match_expressions)
