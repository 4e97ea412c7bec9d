"""Reading Kubernetes YAML files into a ValidationContext, for `manage.py validate` (spec §13).

The files stand in for a live cluster, so what a cluster would add is played here: namespaces
exist when declared or used, workloads get pods from their templates, and the sidecar
injector's decision is applied to those pods. Problems with one document are reported with
the file and line and never stop the other documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from validations.model import (
    MeshConfig,
    ObjectValidation,
    ValidationContext,
    ValidationSettings,
    Workload,
)
from validations.objects import annotations_of, as_list, as_map, labels_of, name_of, ns_of, spec

ISTIO_GROUPS = {
    "networking.istio.io": {
        "VirtualService",
        "DestinationRule",
        "Gateway",
        "ServiceEntry",
        "Sidecar",
        "WorkloadEntry",
        "WorkloadGroup",
        "EnvoyFilter",
        "ProxyConfig",
    },
    "security.istio.io": {"AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication"},
    "telemetry.istio.io": {"Telemetry"},
    "extensions.istio.io": {"WasmPlugin", "TrafficExtension"},
}
GATEWAY_API = {
    "Gateway",
    "HTTPRoute",
    "GRPCRoute",
    "ReferenceGrant",
    "TCPRoute",
    "TLSRoute",
    "UDPRoute",
}
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
CONTEXT_KINDS = {
    "Namespace",
    "Service",
    "Pod",
    "ConfigMap",
    "GatewayClass",
    *WORKLOAD_KINDS,
}
# Ordinary Kubernetes kinds that play no part in validation: read and set aside quietly.
IRRELEVANT_KINDS = {
    # A workload's service account is read from its pod template, as Kiali does.
    "ServiceAccount",
    "Secret",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "Job",
    "CronJob",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "Ingress",
    "IngressClass",
    "CustomResourceDefinition",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "Endpoints",
    "EndpointSlice",
    "LimitRange",
    "ResourceQuota",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "ReplicationController",
    "InferencePool",
    "BackendTLSPolicy",
    "ListenerSet",
    "XListenerSet",
    "ServiceMonitor",
    "PodMonitor",
}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass
class Loaded:
    context: ValidationContext
    problems: list[Problem] = field(default_factory=list)


def settings_from_config(config: Any) -> tuple[ValidationSettings, dict[str, Any]]:
    """ValidationSettings and MeshConfig overrides from a KialiConfig (kiali_site.config)."""
    flags = config.kiali_feature_flags.validations
    istio = config.external_services.istio
    classes = tuple(
        str(c.get("class_name") or c.get("className") or "") for c in istio.gateway_api_classes
    )
    app_label = config.istio_labels.app_label_name
    settings = ValidationSettings(
        ignore=tuple(flags.ignore),
        skip_wildcard_gateway_hosts=flags.skip_wildcard_gateway_hosts,
        gateway_api_classes=tuple(c for c in classes if c),
        **({"app_label_names": (app_label,)} if app_label else {}),
    )
    mesh_overrides: dict[str, Any] = {}
    if istio.istio_identity_domain:
        mesh_overrides["identity_domain_override"] = istio.istio_identity_domain
    return settings, {"root_namespace": istio.root_namespace, **mesh_overrides}


def engine_kind(obj: Mapping[str, Any]) -> str | None:
    """The engine's kind name, or None for context and irrelevant kinds."""
    kind = str(obj.get("kind") or "")
    group = str(obj.get("apiVersion") or "").rpartition("/")[0]
    if group == "gateway.networking.k8s.io" and kind in GATEWAY_API:
        return f"K8s{kind}"
    if group in ISTIO_GROUPS and kind in ISTIO_GROUPS[group]:
        return kind
    if (
        not group
        and any(kind in kinds for kinds in ISTIO_GROUPS.values())
        and kind not in CONTEXT_KINDS
    ):
        return kind  # an Istio kind written without apiVersion
    return None


def _documents(path: str, problems: list[Problem]) -> Iterator[tuple[int, Any]]:
    """(line, document) pairs; a syntax error ends the file but keeps what came before it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(path, 0, "not a YAML file (not UTF-8 text)"))
        return
    except OSError as exc:
        problems.append(Problem(path, 0, f"cannot read the file: {exc.strerror}"))
        return
    # libyaml's loader when present: the pure-Python one dominates a large run's time.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            document = loader.construct_document(node)
            if isinstance(document, Mapping) and document.get("kind") == "List":
                items = _items_nodes(node)
                for n, item in enumerate(as_list(document.get("items"))):
                    line = items[n] if n < len(items) else node.start_mark.line + 1
                    yield line, item
            else:
                yield node.start_mark.line + 1, document
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 0
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(path, line, f"not valid YAML ({reason}); rest of the file skipped"))
    finally:
        loader.dispose()


def _items_nodes(node: yaml.Node) -> list[int]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if key_node.value == "items" and isinstance(value, yaml.SequenceNode):
                return [item.start_mark.line + 1 for item in value.value]
    return []


def load_files(
    paths: Iterable[str],
    default_namespace: str = "default",
    settings: ValidationSettings | None = None,
    mesh_overrides: Mapping[str, Any] | None = None,
) -> Loaded:
    problems: list[Problem] = []
    documents = [(path, line, doc) for path in paths for line, doc in _documents(path, problems)]
    loaded = context_from_documents(documents, default_namespace, settings, mesh_overrides)
    loaded.problems[:0] = problems
    return loaded


def context_from_objects(
    objs: Iterable[Any],
    default_namespace: str = "default",
    settings: ValidationSettings | None = None,
    mesh_overrides: Mapping[str, Any] | None = None,
) -> Loaded:
    """The same reading as for files, for objects already parsed (tests, other callers)."""
    documents = [("<objects>", n + 1, o) for n, o in enumerate(objs)]
    return context_from_documents(documents, default_namespace, settings, mesh_overrides)


def context_from_documents(
    documents: Iterable[tuple[str, int, Any]],
    default_namespace: str = "default",
    settings: ValidationSettings | None = None,
    mesh_overrides: Mapping[str, Any] | None = None,
) -> Loaded:
    problems: list[Problem] = []
    objects: dict[str, list[dict[str, Any]]] = {}
    context_objs: dict[str, list[dict[str, Any]]] = {}
    for path, line, doc in documents:
        if doc is None:
            continue
        if not isinstance(doc, Mapping):
            problems.append(Problem(path, line, "document is not a Kubernetes object (no mapping)"))
            continue
        kind, name = doc.get("kind"), name_of(doc)
        if not kind or not name:
            missing = "kind" if not kind else "metadata.name"
            problems.append(Problem(path, line, f"document without {missing}; skipped"))
            continue
        obj = _with_namespace(doc, default_namespace)
        engine = engine_kind(obj)
        if engine is not None:
            objects.setdefault(engine, []).append(obj)
        elif kind in CONTEXT_KINDS:
            context_objs.setdefault(str(kind), []).append(obj)
        elif kind not in IRRELEVANT_KINDS:
            api = obj.get("apiVersion", "no apiVersion")
            problems.append(Problem(path, line, f"unknown kind {kind} ({api}); skipped"))
    return Loaded(_context(objects, context_objs, settings, mesh_overrides or {}), problems)


CLUSTER_SCOPED = {"Namespace", "GatewayClass"}


def _with_namespace(doc: Mapping[str, Any], default_namespace: str) -> dict[str, Any]:
    obj = dict(doc)
    if obj.get("kind") in CLUSTER_SCOPED or ns_of(obj):
        return obj
    obj["metadata"] = {**as_map(obj.get("metadata")), "namespace": default_namespace}
    return obj


def _mesh_config(configmaps: list[dict[str, Any]], overrides: Mapping[str, Any]) -> MeshConfig:
    root = str(overrides.get("root_namespace") or "istio-system")
    candidates = [c for c in configmaps if name_of(c) == "istio"]
    candidates.sort(key=lambda c: ns_of(c) != root)
    for cm in candidates:
        try:
            mesh = yaml.safe_load(str(as_map(cm.get("data")).get("mesh") or "")) or {}
        except yaml.YAMLError:
            continue
        if isinstance(mesh, Mapping):
            extra = {k: v for k, v in overrides.items() if k != "root_namespace"}
            return MeshConfig.from_mesh(mesh, **extra)
    return MeshConfig(**overrides)


def _context(
    objects: dict[str, list[dict[str, Any]]],
    context_objs: dict[str, list[dict[str, Any]]],
    settings: ValidationSettings | None,
    mesh_overrides: Mapping[str, Any],
) -> ValidationContext:
    namespaces: dict[str, dict[str, Any]] = {}
    for ns in context_objs.get("Namespace", []):
        namespaces[name_of(ns)] = ns
    for group in (*objects.values(), *context_objs.values()):
        for obj in group:
            if ns_of(obj) and ns_of(obj) not in namespaces:
                namespaces[ns_of(obj)] = {"metadata": {"name": ns_of(obj)}}
    mesh = _mesh_config(context_objs.get("ConfigMap", []), mesh_overrides)
    workloads = _workloads(context_objs, namespaces)
    return ValidationContext(
        cluster="default",
        objects=objects,
        namespaces=namespaces,
        services=context_objs.get("Service", []),
        workloads=workloads,
        deployments=context_objs.get("Deployment", []),
        gateway_classes=context_objs.get("GatewayClass", []),
        mesh=mesh,
        settings=settings or ValidationSettings(),
        ambient_anywhere=any(
            labels_of(n).get("istio.io/dataplane-mode") == "ambient" for n in namespaces.values()
        ),
    )


def _workloads(
    context_objs: dict[str, list[dict[str, Any]]], namespaces: Mapping[str, Mapping[str, Any]]
) -> list[Workload]:
    workloads: list[tuple[Workload, dict[str, Any], Mapping[str, Any]]] = []
    for kind in WORKLOAD_KINDS:
        for obj in context_objs.get(kind, []):
            owners = [
                as_map(o).get("kind")
                for o in as_list(as_map(obj.get("metadata")).get("ownerReferences"))
            ]
            if kind == "ReplicaSet" and "Deployment" in owners:
                continue
            template = as_map(spec(obj).get("template"))
            pod_spec = as_map(template.get("spec"))
            wl = Workload(
                kind=kind,
                name=name_of(obj),
                namespace=ns_of(obj),
                labels=labels_of(template),
                annotations=annotations_of(obj),
                service_account=str(
                    pod_spec.get("serviceAccountName")
                    or pod_spec.get("serviceAccount")
                    or "default"
                ),
            )
            workloads.append((wl, obj, template))
    loose: list[Workload] = []
    for pod in context_objs.get("Pod", []):
        owner = next(
            (
                wl
                for wl, obj, _ in workloads
                if wl.namespace == ns_of(pod)
                and _selects(as_map(spec(obj).get("selector")), labels_of(pod))
            ),
            None,
        )
        if owner is not None:
            owner.pods.append(pod)
            continue
        pod_spec = spec(pod)
        loose.append(
            Workload(
                kind="Pod",
                name=name_of(pod),
                namespace=ns_of(pod),
                labels=labels_of(pod),
                annotations=annotations_of(pod),
                service_account=str(pod_spec.get("serviceAccountName") or "default"),
                pods=[pod],
            )
        )
    for wl, obj, template in workloads:
        if not wl.pods:
            wl.pods = _template_pods(
                wl, obj, template, labels_of(namespaces.get(wl.namespace) or {})
            )
    return [wl for wl, _, _ in workloads] + loose


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    match = as_map(selector.get("matchLabels")) if "matchLabels" in selector else selector
    return bool(match) and all(labels.get(str(k)) == str(v) for k, v in match.items())


def _template_pods(
    wl: Workload, obj: Mapping[str, Any], template: Mapping[str, Any], ns_labels: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The pods the cluster would run, as the sidecar injector would leave them."""
    replicas = spec(obj).get("replicas", 1)
    if wl.kind != "DaemonSet" and isinstance(replicas, int) and replicas <= 0:
        return []
    pod_spec = dict(as_map(template.get("spec")))
    containers = list(as_list(pod_spec.get("containers")))
    annotations = {
        str(k): str(v)
        for k, v in as_map(as_map(template.get("metadata")).get("annotations")).items()
    }
    inject = wl.labels.get("sidecar.istio.io/inject", annotations.get("sidecar.istio.io/inject"))
    ns_injection = ns_labels.get("istio-injection")
    injected = (
        ns_injection != "disabled"
        and inject != "false"
        and (ns_injection == "enabled" or "istio.io/rev" in ns_labels or inject == "true")
    )
    has_proxy = any(as_map(c).get("name") == "istio-proxy" for c in containers)
    if injected and not has_proxy:
        containers.append({"name": "istio-proxy"})
        has_proxy = True
    ambient = wl.labels.get("istio.io/dataplane-mode", ns_labels.get("istio.io/dataplane-mode"))
    if ambient == "ambient" and not has_proxy:
        annotations["ambient.istio.io/redirection"] = "enabled"
    pod_spec["containers"] = containers
    pod = {
        "metadata": {
            "name": f"{wl.name}-0",
            "namespace": wl.namespace,
            "labels": dict(wl.labels),
            "annotations": annotations,
        },
        "spec": pod_spec,
    }
    return [pod]


def to_json(records: Iterable[ObjectValidation]) -> str:
    rows = [
        {
            "kind": r.kind,
            "namespace": r.namespace,
            "name": r.name,
            "valid": r.valid,
            "checks": [
                {"code": c.code, "severity": c.severity, "path": c.path, "message": c.message}
                for c in r.checks
            ],
        }
        for r in records
    ]
    return json.dumps(rows, indent=2)


def to_text(records: list[ObjectValidation]) -> str:
    lines = []
    errors = warnings = 0
    for r in records:
        errors += sum(c.severity == "error" for c in r.checks)
        warnings += sum(c.severity == "warning" for c in r.checks)
        if not r.checks and r.valid:
            continue
        verdict = "valid" if r.valid else "NOT VALID"
        lines.append(f"{r.kind} {r.namespace}/{r.name}: {verdict}")
        for c in r.checks:
            lines.append(f"  {c.severity:<7} {c.code}  {c.path or '-'}  {c.message}")
    lines.append(f"{len(records)} objects validated: {errors} errors, {warnings} warnings")
    return "\n".join(lines)
