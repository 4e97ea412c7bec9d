"""Read one cluster's snapshot lists: one list call per kind, all namespaces, concurrently.

A kind the console may not list is recorded as an error of the snapshot instead of failing
it, so a cluster missing one permission still shows the rest. Only the namespace list is
essential.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from kubernetes.client import ApiClient

from kiali_site.config import KialiConfig
from mesh.deadline import in_context
from mesh.inventory.build import CRONJOB_FALLBACK, ISTIO_KINDS, WORKLOAD_KINDS, RawCluster
from mesh.inventory.parse import Raw
from mesh.kube.access import get_json, list_items
from mesh.kube.errors import KubeError

ISTIO_FALLBACK_VERSION = {
    "networking.istio.io/v1": "networking.istio.io/v1beta1",
    "security.istio.io/v1": "security.istio.io/v1beta1",
}


def _served_list(
    client: ApiClient, cluster: str, group_version: str, plural: str
) -> list[Raw] | None:
    """None when the server does not serve this group/version (so a fallback may be tried)."""
    prefix = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    body = get_json(client, cluster, f"{prefix}/{plural}")
    return None if body is None else list(body.get("items") or [])


def fetch_cluster(client: ApiClient, cluster: str, config: KialiConfig) -> RawCluster:
    """All lists of one cluster; raises KubeError only when namespaces cannot be listed."""
    excluded = set(config.kubernetes_config.excluded_workloads)
    raw = RawCluster()
    wanted_workloads = [k for k in WORKLOAD_KINDS if k not in excluded]
    if "CronJob" in wanted_workloads and "Job" not in wanted_workloads:
        wanted_workloads.append("Job")  # needed to attribute pods to their CronJob

    def workload_list(kind: str) -> tuple[str, str, list[Raw]]:
        group_version, plural = WORKLOAD_KINDS[kind]
        items = _served_list(client, cluster, group_version, plural)
        if items is None and kind == "CronJob":
            group_version, plural = CRONJOB_FALLBACK
            items = _served_list(client, cluster, group_version, plural)
        return kind, group_version, items or []

    def istio_list(kind: str) -> tuple[str, str, list[Raw]]:
        group_version, plural = ISTIO_KINDS[kind]
        items = _served_list(client, cluster, group_version, plural)
        if items is None:
            group_version = ISTIO_FALLBACK_VERSION.get(group_version, group_version)
            items = _served_list(client, cluster, group_version, plural)
        return kind, group_version, items or []

    def guarded(job: tuple[str, str]) -> tuple[str, str, str, list[Raw], str]:
        family, kind = job
        try:
            if family == "workload":
                _, gv, items = workload_list(kind)
            elif family == "istio":
                _, gv, items = istio_list(kind)
            else:
                gv, items = "v1", list_items(client, cluster, "v1", kind)
            return family, kind, gv, items, ""
        except KubeError as exc:
            if family == "core" and kind == "namespaces":
                raise
            return family, kind, "", [], f"{kind}: {exc.message}"

    jobs = [("core", "namespaces"), ("core", "pods"), ("core", "services")]
    jobs += [("workload", k) for k in wanted_workloads]
    jobs += [("istio", k) for k in ISTIO_KINDS]
    with ThreadPoolExecutor(max_workers=6) as pool:
        for family, kind, gv, items, error in pool.map(in_context(guarded), jobs):
            if error:
                raw.errors.append(error)
            if family == "core":
                setattr(raw, kind, items)
            elif family == "workload":
                raw.workloads[kind] = items
            else:
                raw.istio[kind] = items
            if gv:
                raw.group_versions[kind] = gv
    return raw
