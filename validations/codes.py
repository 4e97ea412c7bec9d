"""The catalogue of check codes: default severity, whether the check invalidates, and wording.

Kept in one table so the `valid` rule (spec §1, §9.4: not simply "no errors") is written once
and the messages read alike. The wording is ours; the code is the stable identifier.
"""

from __future__ import annotations

from dataclasses import dataclass

from validations.model import Check, Finding


@dataclass(frozen=True)
class CodeInfo:
    severity: str
    invalidates: bool
    message: str


ERROR, WARNING, INFO = "error", "warning", "info"

CODES: dict[str, CodeInfo] = {
    # generic
    "KIA0002": CodeInfo(ERROR, True, "More than one selector-less object in the same namespace"),
    "KIA0003": CodeInfo(ERROR, True, "More than one object applied to the same workload"),
    "KIA0004": CodeInfo(
        WARNING, False, "No matching workload found for the selector in this namespace"
    ),
    "KIA0005": CodeInfo(ERROR, True, "No matching namespace found or namespace is not accessible"),
    # AuthorizationPolicy
    "KIA0101": CodeInfo(WARNING, False, "Namespace not found for this rule"),
    "KIA0102": CodeInfo(
        WARNING, False, "Only HTTP methods and fully-qualified gRPC names are allowed"
    ),
    "KIA0104": CodeInfo(ERROR, True, "This host has no matching entry in the service registry"),
    "KIA0105": CodeInfo(ERROR, True, "This field requires mTLS to be enabled"),
    "KIA0106": CodeInfo(ERROR, True, "Service Account not found for this principal"),
    "KIA0107": CodeInfo(INFO, True, "Service Account found only in a remote cluster"),
    "KIA0108": CodeInfo(WARNING, True, "The trust domain of this principal is unknown in the mesh"),
    "KIA0109": CodeInfo(
        WARNING, True, "This L7 policy targets workloads not enrolled in a waypoint"
    ),
    "KIA0110": CodeInfo(WARNING, True, "L7 policies in Ambient need a targetRef to a waypoint"),
    # DestinationRule
    "KIA0201": CodeInfo(
        WARNING, False, "More than one DestinationRule for the same host subset combination"
    ),
    "KIA0202": CodeInfo(
        ERROR,
        True,
        "This host has no matching entry in the service registry "
        "(service, workload or service entries)",
    ),
    "KIA0203": CodeInfo(ERROR, True, "This subset's labels are not found in any matching host"),
    "KIA0204": CodeInfo(
        WARNING, False, "mTLS settings of a non-local DestinationRule are overridden"
    ),
    "KIA0205": CodeInfo(ERROR, True, "PeerAuthentication enabling mTLS at mesh level is missing"),
    "KIA0206": CodeInfo(ERROR, True, "PeerAuthentication enabling namespace-wide mTLS is missing"),
    "KIA0207": CodeInfo(
        ERROR, True, "PeerAuthentication with TLS strict mode found, it should be permissive"
    ),
    "KIA0208": CodeInfo(
        ERROR, True, "PeerAuthentication enabling mTLS found, permissive mode needed"
    ),
    "KIA0209": CodeInfo(WARNING, False, "DestinationRule Subset has no labels"),
    "KIA0210": CodeInfo(
        WARNING, True, "This L7 DestinationRule needs a waypoint in its Ambient namespace"
    ),
    "KIA0211": CodeInfo(
        WARNING, True, "This L7 DestinationRule targets a service not enrolled in a waypoint"
    ),
    "KIA0212": CodeInfo(
        WARNING, True, "This L7 DestinationRule lives outside the namespace of its Ambient service"
    ),
    # Gateway
    "KIA0301": CodeInfo(WARNING, False, "More than one Gateway for the same host port combination"),
    "KIA0302": CodeInfo(
        WARNING, True, "No matching workload found for gateway selector in this namespace"
    ),
    # PeerAuthentication
    "KIA0401": CodeInfo(ERROR, True, "Mesh-wide DestinationRule enabling mTLS is missing"),
    "KIA0501": CodeInfo(ERROR, True, "DestinationRule enabling namespace-wide mTLS is missing"),
    "KIA0505": CodeInfo(ERROR, True, "Destination Rule disabling namespace-wide mTLS is missing"),
    "KIA0506": CodeInfo(ERROR, True, "Destination Rule disabling mesh-wide mTLS is missing"),
    # Service
    "KIA0601": CodeInfo(ERROR, True, "Port name must follow <protocol>[-suffix] form"),
    "KIA0602": CodeInfo(ERROR, True, "Port appProtocol must follow <protocol> form"),
    "KIA0701": CodeInfo(WARNING, True, "Deployment exposing same port as Service not found"),
    # Sidecar
    "KIA1004": CodeInfo(WARNING, False, "This host has no matching entry in the service registry"),
    "KIA1006": CodeInfo(WARNING, False, "Global default sidecar should not have workloadSelector"),
    "KIA1007": CodeInfo(
        INFO, False, "outboundTrafficPolicy has no mode; REGISTRY_ONLY may be implied"
    ),
    # VirtualService
    "KIA1101": CodeInfo(
        ERROR, True, "DestinationWeight on route doesn't have a valid service (host not found)"
    ),
    "KIA1102": CodeInfo(ERROR, True, "VirtualService is pointing to a non-existent gateway"),
    "KIA1104": CodeInfo(
        WARNING,
        False,
        "The weight is assumed to be 100 because there is only one route destination",
    ),
    "KIA1105": CodeInfo(
        WARNING,
        False,
        "This host subset combination is already referenced in another route destination",
    ),
    "KIA1106": CodeInfo(WARNING, False, "More than one Virtual Service for same host"),
    "KIA1107": CodeInfo(WARNING, False, "Subset not found"),
    "KIA1108": CodeInfo(INFO, False, "Preferred nomenclature: <gateway namespace>/<gateway name>"),
    "KIA1109": CodeInfo(
        WARNING, True, "This L7 VirtualService needs a waypoint in its Ambient namespace"
    ),
    "KIA1110": CodeInfo(
        WARNING, True, "This RequestAuthentication targets workloads not enrolled in a waypoint"
    ),
    "KIA1111": CodeInfo(
        WARNING, True, "This WasmPlugin targets workloads not enrolled in a waypoint"
    ),
    "KIA1112": CodeInfo(
        WARNING, True, "This L7 Telemetry targets workloads not enrolled in a waypoint"
    ),
    "KIA1113": CodeInfo(
        WARNING, True, "This L7 VirtualService targets a service not enrolled in a waypoint"
    ),
    "KIA1114": CodeInfo(
        WARNING, True, "This L7 VirtualService lives outside the namespace of its Ambient service"
    ),
    "KIA1115": CodeInfo(
        WARNING, True, "RequestAuthentication in Ambient needs a targetRef to a waypoint"
    ),
    "KIA1116": CodeInfo(WARNING, True, "WasmPlugin in Ambient needs a targetRef to a waypoint"),
    "KIA1117": CodeInfo(WARNING, True, "L7 Telemetry in Ambient needs a targetRef to a waypoint"),
    # ServiceEntry
    "KIA1211": CodeInfo(WARNING, False, "Duplicate ServiceEntry host and port"),
    "KIA1212": CodeInfo(
        WARNING, False, "ServiceEntries declare the same host and port with different protocols"
    ),
    # Workload
    "KIA1301": CodeInfo(WARNING, False, "This workload is not covered by any authorization policy"),
    "KIA1311": CodeInfo(ERROR, True, "The workload has both Ambient and sidecar injection labels"),
    "KIA1312": CodeInfo(WARNING, True, "The workload has a waypoint label but is not in Ambient"),
    "KIA1313": CodeInfo(ERROR, True, "The workload is labelled for a waypoint that was not found"),
    "KIA1314": CodeInfo(
        ERROR, True, "The workload has sidecar labels but its pods are redirected by Ambient"
    ),
    "KIA1315": CodeInfo(
        ERROR, True, "The workload is labelled for Ambient but its pods run a sidecar"
    ),
    "KIA1316": CodeInfo(WARNING, True, "The workload runs a sidecar in an Ambient namespace"),
    "KIA1317": CodeInfo(
        WARNING, True, "An L7 authorization policy applies to this workload but it has no waypoint"
    ),
    # Gateway API
    "KIA1401": CodeInfo(
        ERROR, True, "Route is pointing to a non-existent or inaccessible K8s gateway"
    ),
    "KIA1402": CodeInfo(ERROR, True, "Route is pointing to a non-existent or inaccessible service"),
    "KIA1501": CodeInfo(
        WARNING, False, "More than one K8s Gateway for the same host port combination"
    ),
    "KIA1502": CodeInfo(
        WARNING, False, "More than one K8s Gateway for the same address and type combination"
    ),
    "KIA1503": CodeInfo(
        ERROR, False, "Listeners of this K8s Gateway share hostname, port and protocol"
    ),
    "KIA1504": CodeInfo(ERROR, True, "Gateway API class not found in the Kiali configuration"),
    "GWAPI": CodeInfo(WARNING, True, "Condition reported by the Gateway API controller"),
    "KIA1601": CodeInfo(ERROR, True, "Namespace is not found or is not accessible"),
    "KIA1701": CodeInfo(
        WARNING, True, "The service account of this WorkloadGroup is not used by any workload"
    ),
    "KIA1702": CodeInfo(
        WARNING, True, "More than one WorkloadGroup with the same labels in this namespace"
    ),
}


def finding(
    obj_kind: str,
    namespace: str,
    name: str,
    code: str,
    path: str,
    *,
    severity: str | None = None,
    message: str | None = None,
    references: tuple[tuple[str, str, str], ...] = (),
) -> Finding:
    """A finding with the catalogue's defaults; severity overrides keep the `valid` rule."""
    info = CODES[code]
    sev = severity or info.severity
    # KIA0203 only invalidates at error level (spec §5.3); every other code has a fixed effect.
    invalidates = info.invalidates and not (code == "KIA0203" and sev != ERROR)
    return Finding(
        obj_kind,
        namespace,
        name,
        Check(code, sev, message or info.message, path),
        not invalidates,
        references,
    )
