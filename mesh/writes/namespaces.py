"""Kiali's namespace actions for sidecar injection (NA-01): enable, disable or remove
automatic injection by the namespace's labels.

A namespace injected by revision (`istio.io/rev`) has that label dropped when injection is
set by `istio-injection`: with both, istiod's webhooks disagree on which applies, which is
why Kiali removes one when it sets the other.
"""

from __future__ import annotations

from collections.abc import Mapping

ACTIONS = {
    "enable": "Enable Auto Injection",
    "disable": "Disable Auto Injection",
    "remove": "Remove Auto Injection",
}


def injection_labels(
    labels: Mapping[str, str], action: str, injection_label: str, revision_label: str
) -> dict[str, str]:
    """The namespace's labels after `action` (a key of ACTIONS)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown injection action {action!r}")
    changed = {k: v for k, v in labels.items() if k not in (injection_label, revision_label)}
    if action == "enable":
        changed[injection_label] = "enabled"
    elif action == "disable":
        changed[injection_label] = "disabled"
    return changed


def available_actions(
    labels: Mapping[str, str], injection_label: str, revision_label: str
) -> list[str]:
    """The actions that would change something, as Kiali offers them."""
    current = labels.get(injection_label, "")
    found = []
    if current != "enabled":
        found.append("enable")
    if current == "enabled" or labels.get(revision_label):
        found.append("disable")
    if current or labels.get(revision_label):
        found.append("remove")
    return found
