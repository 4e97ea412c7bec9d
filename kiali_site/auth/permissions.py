"""Write permissions: asked of the cluster with the user's own token, never assumed.

Pages call `can()` before offering a write control. The answer is a SelfSubjectAccessReview
made with the user's token (the console's own in anonymous mode, where writes are the
console's), so the cluster's RBAC is the only judge; view_only_mode turns every answer
into no without asking. Answers are kept for the request, and for ANSWER_SECONDS per
identity (a page that refreshes every 10 s does not ask again each time); a failed check
is not kept.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.cache import cache

from kiali_site.context import MeshRequest, NoClusterSession
from mesh.clusters.access import KubeconfigError
from mesh.kube.access import post_json
from mesh.kube.errors import KubeError

log = logging.getLogger(__name__)

REVIEW_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
ANSWER_SECONDS = 30


def can(
    request: MeshRequest, cluster: str, namespace: str, verb: str, group: str, resource: str
) -> bool:
    mesh = request.mesh
    if mesh.config.deployment.view_only_mode:
        return False
    answers: dict[tuple[str, ...], bool] = request.__dict__.setdefault("_kiali_can", {})
    key = (cluster, namespace, verb, group, resource)
    if key in answers:
        return answers[key]
    allowed = False
    try:
        token = mesh.token_for(cluster)
    except NoClusterSession:
        answers[key] = False
        return False
    identity = hashlib.sha256((token or "console").encode()).hexdigest()[:24]
    cache_key = "can:" + hashlib.sha256("\x00".join((identity, *key)).encode()).hexdigest()
    kept = cache.get(cache_key)
    if kept is not None:
        answers[key] = bool(kept)
        return bool(kept)
    try:
        access = mesh.registry.access.get(cluster)
        if access is not None:
            client = access.service_client() if token is None else access.user_client(token)
            body = {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {
                    "resourceAttributes": {
                        "namespace": namespace,
                        "verb": verb,
                        "group": group,
                        "resource": resource,
                    }
                },
            }
            answer = post_json(client, cluster, REVIEW_PATH, body)
            allowed = bool((answer.get("status") or {}).get("allowed"))
            cache.set(cache_key, allowed, ANSWER_SECONDS)
    except NoClusterSession:
        allowed = False
    except (KubeError, KubeconfigError) as exc:
        log.warning("permission check on %s failed: %s", cluster, exc)
        allowed = False
    answers[key] = allowed
    return allowed
