"""Admin edits take effect at once: the cached cluster registry is dropped on every change."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from mesh.models import Cluster, ClusterLink


@receiver([post_save, post_delete], sender=Cluster)
@receiver([post_save, post_delete], sender=ClusterLink)
def _forget_registry(**_: Any) -> None:
    from mesh.clusters.registry import invalidate_registry

    invalidate_registry()
