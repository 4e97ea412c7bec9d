"""Kiali's Traffic Shifting wizard (WZ-03): a service's requests split between its versions
by weight, as one VirtualService and one DestinationRule named after the service.

The objects carry Kiali's `kiali_wizard` label, so Kiali and this console both find them
again to update or delete; subsets are named after the version label's values, as Kiali
names them, so objects written by either tool read the same in the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

WIZARD_LABEL = "kiali_wizard"
TRAFFIC_SHIFTING = "traffic_shifting"
NETWORKING = "networking.istio.io"


class WizardError(ValueError):
    """The form's values cannot make valid objects; the message says which and why."""


@dataclass(frozen=True)
class Version:
    name: str  # the version label's value, the subset's name
    workloads: tuple[str, ...]


def weights_from_form(form: Mapping[str, str], versions: Sequence[Version]) -> dict[str, int]:
    """`weight-<version>` fields, whole percentages adding up to 100."""
    weights: dict[str, int] = {}
    for version in versions:
        raw = (form.get(f"weight-{version.name}") or "0").strip()
        try:
            value = int(raw)
        except ValueError:
            raise WizardError(
                f"The weight of {version.name} must be a whole number, not {raw!r}."
            ) from None
        if not 0 <= value <= 100:
            raise WizardError(f"The weight of {version.name} must be between 0 and 100.")
        weights[version.name] = value
    total = sum(weights.values())
    if total != 100:
        raise WizardError(f"The weights add up to {total}%; they must add up to 100%.")
    return weights


def traffic_shifting(
    service: str,
    namespace: str,
    identity_domain: str,
    version_label: str,
    weights: Mapping[str, int],
    api_version: str,
) -> list[dict[str, Any]]:
    """The VirtualService and DestinationRule; a version weighted 0 keeps its subset (so it
    can be weighted again later) but gets no route."""
    if not weights:
        raise WizardError("The service has no labelled versions to shift traffic between.")
    host = f"{service}.{namespace}.{identity_domain}"
    labels = {WIZARD_LABEL: TRAFFIC_SHIFTING}
    routes = [
        {"destination": {"host": host, "subset": version}, "weight": weight}
        for version, weight in weights.items()
        if weight > 0
    ]
    virtual_service = {
        "apiVersion": f"{NETWORKING}/{api_version}",
        "kind": "VirtualService",
        "metadata": {"name": service, "namespace": namespace, "labels": dict(labels)},
        "spec": {"hosts": [host], "http": [{"route": routes}]},
    }
    destination_rule = {
        "apiVersion": f"{NETWORKING}/{api_version}",
        "kind": "DestinationRule",
        "metadata": {"name": service, "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "host": host,
            "subsets": [{"name": v, "labels": {version_label: v}} for v in weights],
        },
    }
    return [virtual_service, destination_rule]
