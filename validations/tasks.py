"""The periodic validation of every reachable mesh cluster (Kiali's reconcile interval)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from mesh.clusters.access import KubeconfigError
from mesh.clusters.registry import current_registry
from mesh.kube.errors import KubeError
from validations.results import refresh

log = logging.getLogger(__name__)


@shared_task(name="validations.tasks.validate_clusters")
def validate_clusters() -> None:
    registry = current_registry()
    for cluster in registry.mesh_clusters:
        try:
            refresh(registry, settings.KIALI, cluster.name)
        except (KubeError, KubeconfigError) as exc:
            log.warning("validation of cluster %s failed: %s", cluster.name, exc)
        except Exception:  # noqa: S112 - refresh logged it and noted it for pages
            continue  # one cluster's failure must not keep the others unvalidated
