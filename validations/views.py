"""Istio Config pages: the list with validation status, and one object with its findings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from kiali_site.access import cluster_for, namespace_for, viewer_in
from kiali_site.context import MeshRequest
from kiali_site.rendering import render_page
from kiali_site.scope import page_scope
from kiali_site.scope_memory import CLUSTER, NAMESPACES, scoped_page
from kiali_site.sorting import sort_links
from mesh.clusters.access import KubeconfigError
from mesh.kube.errors import KubeError
from mesh.models import ChangeRecord
from mesh.viewer import Viewer
from validations.engine import listed_with_config, severity_of
from validations.live import validate_cluster
from validations.model import GATEWAY_API_KINDS, ISTIO_KINDS, Check, ObjectValidation
from validations.offline import engine_kind
from validations.references import Ref, referenced_by, references_of
from validations.results import results_for, store
from validations.yamlpaths import pathed_yaml

CONFIG_KINDS = (*ISTIO_KINDS, *GATEWAY_API_KINDS)
# Services are listed too when a check found something on them (engine.listed_with_config).
LISTED_KINDS = (*CONFIG_KINDS, "Service")
HISTORY_SHOWN = 20  # the latest changes the console made to the object; the admin has all
STATUSES = ("valid", "warning", "error")
SORTS = ("kind", "name", "namespace", "cluster", "validation")


@dataclass(frozen=True)
class ConfigRow:
    record: ObjectValidation
    status: str
    errors: int
    warnings: int

    @classmethod
    def of(cls, record: ObjectValidation) -> ConfigRow:
        return cls(
            record,
            severity_of(record),
            sum(c.severity == "error" for c in record.checks),
            sum(c.severity == "warning" for c in record.checks),
        )


def _sort_key(sort: str) -> Callable[[ConfigRow], tuple[object, ...]]:
    rank = {"error": 0, "warning": 1, "valid": 2}
    if sort == "validation":
        return lambda r: (rank[r.status], r.record.kind, r.record.namespace, r.record.name)
    if sort == "name":
        return lambda r: (r.record.name, r.record.namespace, r.record.kind)
    if sort == "namespace":
        return lambda r: (r.record.namespace, r.record.kind, r.record.name)
    if sort == "cluster":
        return lambda r: (r.record.cluster, r.record.kind, r.record.namespace, r.record.name)
    return lambda r: (r.record.kind, r.record.namespace, r.record.name)


@require_GET
@scoped_page(NAMESPACES, CLUSTER)
def istio_config_list(request: MeshRequest) -> HttpResponse:
    scope = page_scope(request)
    kind = request.GET.get("kind", "")
    kind = kind if kind in LISTED_KINDS else ""
    name = request.GET.get("name", "").strip()
    status = request.GET.get("validation", "")
    status = status if status in STATUSES else ""
    sort = request.GET.get("sort", "kind")
    sort = sort if sort in SORTS else "kind"
    descending = request.GET.get("dir") == "desc"

    chosen = {(ns.cluster, ns.name) for ns in scope.chosen()}
    registry, config = request.mesh.registry, request.mesh.config
    rows: list[ConfigRow] = []
    problems: list[str] = []
    ages: dict[str, float] = {}
    for cluster in [scope.cluster] if scope.cluster else scope.clusters:
        try:
            results = results_for(registry, config, cluster)
        except (KubeError, KubeconfigError) as exc:
            problems.append(f"{cluster}: validation unavailable: {getattr(exc, 'message', exc)}")
            continue
        ages[cluster] = results.age_seconds
        problems += [f"{cluster}: {problem}" for problem in results.problems]
        for record in results.records:
            if not listed_with_config(record) or (cluster, record.namespace) not in chosen:
                continue
            if kind and record.kind != kind:
                continue
            if name and name.lower() not in record.name.lower():
                continue
            row = ConfigRow.of(record)
            if status and row.status != status:
                continue
            rows.append(row)
    rows.sort(key=_sort_key(sort), reverse=descending)
    context = {
        "scope": scope,
        "rows": rows,
        "problems": problems,
        "ages": ages,
        "kind_choices": [(kind, kind) for kind in LISTED_KINDS],
        "status_choices": [(status, status) for status in STATUSES],
        "filters": {"kind": kind, "name": name, "validation": status},
        "sort": sort,
        "descending": descending,
        "sort_links": sort_links(request.GET, SORTS, "kind", order_param="dir"),
        "multi_cluster": request.mesh.registry.is_multi_cluster,
        "counts": {s: sum(r.status == s for r in rows) for s in STATUSES},
    }
    return render_page(request, "validations/list.html", context)


@dataclass
class YamlLine:
    number: int
    text: str
    severity: str = ""
    messages: list[Check] = field(default_factory=list)


@dataclass(frozen=True)
class RefLink:
    kind: str
    namespace: str
    name: str
    url: str


def _link(cluster: str, ref: Ref) -> RefLink:
    kind, namespace, name = ref
    url = ""
    if kind in CONFIG_KINDS:
        url = reverse("istio_config_detail", args=[cluster, namespace, kind, name])
    else:
        route = {"Service": "service_detail", "Workload": "workload_detail"}.get(kind)
        try:
            url = reverse(route, args=[cluster, namespace, name]) if route else ""
        except NoReverseMatch:
            url = ""
    return RefLink(kind, namespace, name, url)


@dataclass(frozen=True)
class RefLinks:
    """References as one user may see them: the ones in namespaces they read, and how many
    others there are, without naming them."""

    shown: list[RefLink]
    hidden: int = 0


def _links(cluster: str, refs: list[Ref], viewer: Viewer) -> RefLinks:
    seen = [r for r in refs if viewer.sees(cluster, r[1])]
    return RefLinks([_link(cluster, r) for r in seen], len(refs) - len(seen))


def _annotated_lines(document: dict[str, Any], record: ObjectValidation | None) -> list[YamlLine]:
    shown = pathed_yaml(document)
    lines = [YamlLine(i + 1, text) for i, text in enumerate(shown.lines)]
    rank = {"error": 3, "warning": 2, "info": 1, "": 0}
    for check in record.checks if record else []:
        span = shown.span_of(check.path) or (0, 1)
        for line in lines[span[0] : span[1]]:
            if rank[check.severity] > rank[line.severity]:
                line.severity = check.severity
        lines[span[0]].messages.append(check)
    return lines


def _shown(document: dict[str, Any]) -> dict[str, Any]:
    """The object as an operator reads it: server bookkeeping left out."""
    shown = dict(document)
    meta = dict(shown.get("metadata") or {})
    for noise in ("managedFields", "resourceVersion", "uid", "generation", "selfLink"):
        meta.pop(noise, None)
    annotations = dict(meta.get("annotations") or {})
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    shown["metadata"] = meta
    return shown


@require_GET
def istio_config_detail(
    request: MeshRequest, cluster: str, namespace: str, kind: str, name: str
) -> HttpResponse:
    namespace_for(request, cluster, namespace)
    if kind not in CONFIG_KINDS:
        raise Http404(f"{kind} is not an Istio configuration kind.")
    cluster_for(request, cluster)
    registry, config = request.mesh.registry, request.mesh.config
    try:
        result = validate_cluster(
            registry.access[cluster].service_client(), cluster, config, keep_objects=True
        )
    except (KubeError, KubeconfigError) as exc:
        message = f"{cluster}: {getattr(exc, 'message', exc)}"
        return render_page(
            request,
            "validations/detail.html",
            {
                "error": message,
                "cluster": cluster,
                "kind": kind,
                "namespace": namespace,
                "name": name,
            },
            status=502,
        )
    # the list page sees it at once
    store(cluster, result.computed_at, result.records, result.problems)
    assert result.objects is not None and result.context is not None
    document = next(
        (
            d
            for d in result.objects.documents
            if engine_kind(d) == kind
            and (d.get("metadata") or {}).get("namespace") == namespace
            and (d.get("metadata") or {}).get("name") == name
        ),
        None,
    )
    if document is None:
        raise Http404(f"There is no {kind} {namespace}/{name} in cluster {cluster}.")
    record = next((r for r in result.records if r.key == (kind, namespace, name)), None)
    refs = references_of(result.context, kind, document)
    back = referenced_by(result.context, (kind, namespace, name))
    conflicts = [r for r in (record.references if record else []) if r not in refs]
    viewer = viewer_in(request, cluster)
    context = {
        "cluster": cluster,
        "kind": kind,
        "namespace": namespace,
        "name": name,
        "record": record,
        "row": ConfigRow.of(record) if record else None,
        "lines": _annotated_lines(_shown(document), record),
        "references": _links(cluster, refs, viewer),
        "referenced_by": _links(cluster, back, viewer),
        "conflicts": _links(cluster, conflicts, viewer),
        "multi_cluster": registry.is_multi_cluster,
        # issue 19's audit trail, for this object: the namespace is the user's to read
        "history": ChangeRecord.objects.filter(
            cluster=cluster, namespace=namespace, kind=document.get("kind", ""), name=name
        )[:HISTORY_SHOWN],
    }
    return render_page(request, "validations/detail.html", context)
