"""Sending a change: each object created, replaced or deleted at its own path, with the
acting identity's client (the user's token; the console's account only in anonymous mode).

A plan is made first: the objects as they are now, so a replacement carries the
resourceVersion the user saw in the preview and the API server refuses it (409) when
someone changed the object meanwhile, instead of it being silently overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubernetes.client import ApiClient

from mesh.kube.access import get_json, write_json
from mesh.kube.errors import ClusterUnreachable, KubeError
from validations.live import Resource

Key = tuple[str, str, str]  # kind, namespace, name


@dataclass
class PlannedWrite:
    kind: str
    namespace: str
    name: str
    verb: str  # "create", "replace" or "delete"
    collection: str  # the path objects of this kind are created at
    body: dict[str, Any] | None
    before: dict[str, Any] | None  # the object as it is, None when it does not exist

    @property
    def key(self) -> Key:
        return (self.kind, self.namespace, self.name)

    @property
    def path(self) -> str:
        return f"{self.collection}/{self.name}"


@dataclass(frozen=True)
class WriteOutcome:
    write: PlannedWrite
    ok: bool
    message: str  # what happened, in words a user can act on
    status: int = 0  # the API server's HTTP status for a refusal (409: changed meanwhile)


def collection_path(resource: Resource, namespace: str) -> str:
    base = f"/apis/{resource.group}/{resource.version}" if resource.group else "/api/v1"
    return f"{base}/namespaces/{namespace}/{resource.plural}"


def plan(
    client: ApiClient,
    cluster: str,
    resources: Mapping[str, Resource],
    documents: Sequence[dict[str, Any]],
    seen_versions: Mapping[Key, str] | None = None,
    *,
    delete: bool = False,
) -> list[PlannedWrite]:
    """`client` reads the objects as they are (the console's account, as pages read);
    `seen_versions`: the resourceVersion each object had when the user previewed the
    change ("" for one that did not exist); a replacement is made against that version."""
    planned = []
    for doc in documents:
        kind, meta = doc["kind"], doc["metadata"]
        resource = resources.get(kind)
        if resource is None:
            raise KubeError(cluster, f"this cluster does not serve {kind}")
        collection = collection_path(resource, meta["namespace"])
        before = get_json(client, cluster, f"{collection}/{meta['name']}")
        key = (kind, meta["namespace"], meta["name"])
        if delete:
            if before is not None:
                planned.append(PlannedWrite(*key, "delete", collection, None, before))
            continue
        body = {**doc, "metadata": dict(meta)}
        if before is not None:
            version = (seen_versions or {}).get(key) or before["metadata"]["resourceVersion"]
            body["metadata"]["resourceVersion"] = version
        planned.append(
            PlannedWrite(*key, "replace" if before else "create", collection, body, before)
        )
    return planned


def _refusal(exc: KubeError, acting_as_user: bool) -> str:
    if isinstance(exc, ClusterUnreachable):
        return exc.message
    if exc.status == 409:
        return "Someone changed this object after your preview; reload to see their change."
    if acting_as_user and exc.server_text:
        return f"The API server refused it: {exc.server_text}"
    return exc.message


def send(
    client: ApiClient,
    cluster: str,
    planned: Sequence[PlannedWrite],
    *,
    dry_run: bool,
    acting_as_user: bool,
) -> list[WriteOutcome]:
    """Every write is tried; with `dry_run` nothing is stored. `acting_as_user`: the
    refusals are about the user's own request and may quote the API server."""
    outcomes = []
    for write in planned:
        method = {"create": "POST", "replace": "PUT", "delete": "DELETE"}[write.verb]
        path = write.collection if write.verb == "create" else write.path
        try:
            write_json(client, cluster, method, path, write.body, dry_run=dry_run)
        except KubeError as exc:
            outcomes.append(
                WriteOutcome(write, False, _refusal(exc, acting_as_user), status=exc.status)
            )
            continue
        done = {"create": "created", "replace": "updated", "delete": "deleted"}[write.verb]
        what = "would be " if dry_run else ""
        outcomes.append(WriteOutcome(write, True, f"{write.kind} {write.name} {what}{done}"))
    return outcomes
