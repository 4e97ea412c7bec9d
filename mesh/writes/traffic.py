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


FAULT_INJECTION = "fault_injection"
REQUEST_TIMEOUTS = "request_timeouts"


def _number(form: Mapping[str, str], field: str, what: str, low: float, high: float) -> float:
    raw = (form.get(field) or "0").strip()
    try:
        value = float(raw)
    except ValueError:
        raise WizardError(f"{what} must be a number, not {raw!r}.") from None
    if not low <= value <= high:
        raise WizardError(f"{what} must be between {low:g} and {high:g}.")
    return value


def _routing_service(
    service: str,
    namespace: str,
    identity_domain: str,
    wizard: str,
    api_version: str,
    http: dict[str, Any],
) -> dict[str, Any]:
    host = f"{service}.{namespace}.{identity_domain}"
    return {
        "apiVersion": f"{NETWORKING}/{api_version}",
        "kind": "VirtualService",
        "metadata": {"name": service, "namespace": namespace, "labels": {WIZARD_LABEL: wizard}},
        "spec": {"hosts": [host], "http": [{**http, "route": [{"destination": {"host": host}}]}]},
    }


def fault_injection(
    service: str, namespace: str, identity_domain: str, form: Mapping[str, str], api_version: str
) -> list[dict[str, Any]]:
    """Kiali's Fault Injection (WZ-02): a share of requests aborted with an HTTP status,
    and/or delayed by a fixed time, by the client's proxy."""
    fault: dict[str, Any] = {}
    abort = _number(form, "abort-percent", "The share of aborted requests", 0, 100)
    if abort > 0:
        status = int(_number(form, "abort-status", "The abort's HTTP status", 200, 599))
        fault["abort"] = {"percentage": {"value": abort}, "httpStatus": status}
    delay = _number(form, "delay-percent", "The share of delayed requests", 0, 100)
    if delay > 0:
        seconds = _number(form, "delay-seconds", "The delay", 0.001, 3600)
        fault["delay"] = {"percentage": {"value": delay}, "fixedDelay": f"{seconds:g}s"}
    if not fault:
        raise WizardError(
            "Choose an abort, a delay or both: with neither there is nothing to inject."
        )
    return [
        _routing_service(
            service, namespace, identity_domain, FAULT_INJECTION, api_version, {"fault": fault}
        )
    ]


def request_timeouts(
    service: str, namespace: str, identity_domain: str, form: Mapping[str, str], api_version: str
) -> list[dict[str, Any]]:
    """Kiali's Request Timeouts (WZ-05): a timeout for the whole request and retries, each
    with its own timeout."""
    http: dict[str, Any] = {}
    timeout = _number(form, "timeout-seconds", "The timeout", 0, 3600)
    if timeout > 0:
        http["timeout"] = f"{timeout:g}s"
    attempts = int(_number(form, "retry-attempts", "The number of retries", 0, 100))
    if attempts > 0:
        per_try = _number(form, "per-try-seconds", "The timeout of each retry", 0.001, 3600)
        http["retries"] = {"attempts": attempts, "perTryTimeout": f"{per_try:g}s"}
    if not http:
        raise WizardError(
            "Set a timeout, retries or both: with neither there is nothing to change."
        )
    return [
        _routing_service(service, namespace, identity_domain, REQUEST_TIMEOUTS, api_version, http)
    ]
