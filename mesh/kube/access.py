"""Raw reads from a Kubernetes API server, as plain dicts.

Lists go straight from the response bytes to dicts: the client's model objects cost more
time than the request itself on big clusters, and the console only needs a few fields.
A group or version the server does not serve reads as an empty list, since real clusters
differ in what they serve (API level 1.20 has no batch/v1 CronJob, for instance).
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import urllib3
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from mesh.deadline import kube_deadline
from mesh.kube.errors import ClusterUnreachable, KubeError, KubeForbidden, KubeUnauthorized
from mesh.outages import Breaker, cluster_breaker
from mesh.own_metrics import KUBE_REQUESTS, KUBE_SECONDS, timed

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read
PROBE_TIMEOUT = 5.0
TLS_FAILED = "TLS handshake with the API server failed"
NO_ANSWER = "the API server did not answer"
MIN_TIMEOUT_EVIDENCE = 1.0  # seconds of silence that show a cluster is down


def _status_document(body: bytes | str | None) -> dict[str, Any]:
    try:
        document = json.loads(body or "{}")
    except (TypeError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _resource_named(document: Mapping[str, Any]) -> str:
    """The kind of object a Status is about ("deployments.apps"), without names or users."""
    details = document.get("details")
    if not isinstance(details, dict):
        return ""
    kind, group = str(details.get("kind") or ""), str(details.get("group") or "")
    return f"{kind}.{group}" if kind and group else kind


def _error_for_status(
    cluster: str, status: int, body: bytes | None, reason: str | None
) -> KubeError:
    """The API server's own text names the identity that asked (the console's account or
    the user) and what it was refused; it goes to the log, the page gets a plain message."""
    document = _status_document(body)
    server_text = str(document.get("message") or reason or f"HTTP {status}")
    error = _plain_error_for_status(cluster, status, server_text, document)
    # Kept apart from the message: a write made with the user's own token may show the
    # user the API server's own words about it (mesh.writes); reads never do.
    error.status = status
    error.server_text = server_text
    return error


def _plain_error_for_status(
    cluster: str, status: int, server_text: str, document: Mapping[str, Any]
) -> KubeError:
    if status == 401:
        return KubeUnauthorized(cluster, "the credentials were rejected (expired or revoked)")
    log.info("API server of %s answered %s: %s", cluster, status, server_text)
    resource = _resource_named(document)
    if status == 403:
        what = f"reading {resource}" if resource else "this read"
        return KubeForbidden(cluster, f"permission denied for {what}")
    if status in (429, 503):
        return KubeError(cluster, "the API server is busy; try again shortly")
    if status >= 500:
        return KubeError(cluster, f"the API server failed the request (HTTP {status})")
    return KubeError(cluster, f"the API server refused the request (HTTP {status})")


class _DeadlineSpent(Exception):
    """The request's deadline for cluster reads ran out before this call."""


def _error_for_exception(cluster: str, exc: Exception) -> ClusterUnreachable:
    """Transport failures, named by kind only: their text can carry URLs and headers."""
    if isinstance(exc, ApiException):  # the client's wrapping of TLS failures (status 0)
        return ClusterUnreachable(cluster, TLS_FAILED)
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    if isinstance(exc, urllib3.exceptions.SSLError | ssl.SSLError):
        return ClusterUnreachable(cluster, TLS_FAILED)
    if isinstance(exc, urllib3.exceptions.NewConnectionError | ConnectionError):
        return ClusterUnreachable(cluster, "connection to the API server failed")
    if isinstance(exc, urllib3.exceptions.TimeoutError | TimeoutError):
        deadline = kube_deadline()
        budget = f" within {deadline.budget:g}s" if deadline else " in time"
        return ClusterUnreachable(cluster, f"{NO_ANSWER}{budget}")
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError):
        return ClusterUnreachable(cluster, "connection to the API server failed")
    if isinstance(exc, _DeadlineSpent):
        deadline = kube_deadline()
        budget = f" within {deadline.budget:g}s" if deadline else " in time"
        return ClusterUnreachable(cluster, f"{NO_ANSWER}{budget}")
    raise exc


def _timeout_within_deadline(timeout: tuple[float, float]) -> tuple[float, float]:
    """The call's (connect, read) timeout, cut to what the request has left: the read
    timeout bounds each wait for bytes, so a frozen API server fails the call in time."""
    deadline = kube_deadline()
    if deadline is None:
        return timeout
    left = deadline.remaining()
    if left <= 0:
        raise _DeadlineSpent()
    return (min(timeout[0], left), min(timeout[1], left))


def _request(
    client: ApiClient,
    cluster: str,
    method: str,
    path: str,
    *,
    query: Sequence[tuple[str, str]] = (),
    body: Mapping[str, Any] | None = None,
    content_type: str = "application/json",
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    guarded: bool = True,
) -> tuple[int, bytes]:
    """One call. Guarded calls fail at once while the cluster is known to be down, and a
    transport failure marks it down (mesh.outages); the recovery probe is unguarded."""
    breaker = cluster_breaker(cluster) if guarded else None
    if breaker is not None and breaker.outage is not None:
        KUBE_REQUESTS.labels(cluster, method.lower(), "0").inc()
        raise ClusterUnreachable(cluster, breaker.outage.state, breaker.outage)
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = content_type
    try:
        allowed = _timeout_within_deadline(timeout)
    except _DeadlineSpent as exc:
        # The request spent its time elsewhere; that says nothing about this cluster.
        raise _error_for_exception(cluster, exc) from None
    try:
        method, url, headers, payload, _ = client.param_serialize(
            method,
            path,
            query_params=list(query) or None,
            header_params=headers,
            body=dict(body) if body is not None else None,
            auth_settings=["BearerToken"],
        )
        verb = method.lower()
        with timed(KUBE_SECONDS, cluster, verb):
            response = client.call_api(method, url, headers, payload, _request_timeout=allowed)
            data = response.read()
    except Exception as exc:  # every transport failure becomes one clear type
        KUBE_REQUESTS.labels(cluster, method.lower(), "0").inc()
        error = _error_for_exception(cluster, exc)
        if breaker is not None and _shows_down(error, allowed):
            outage = breaker.failed(error.message, _probe(client, cluster))
            raise ClusterUnreachable(cluster, error.message, outage) from None
        raise error from None
    if breaker is not None:
        breaker.succeeded()
    KUBE_REQUESTS.labels(cluster, verb, str(response.status)).inc()
    if not 200 <= response.status <= 299 and response.status != 404:
        raise _error_for_status(cluster, response.status, data, response.reason)
    return response.status, data


def _shows_down(error: ClusterUnreachable, allowed: tuple[float, float]) -> bool:
    """Whether a failed call is evidence that the cluster is down. A TLS failure is an
    answer (a CA or certificate to fix); a timeout cut to a moment by the request's own
    deadline shows only that the request ran out of time."""
    if error.message == TLS_FAILED:
        return False
    return not (error.message.startswith(NO_ANSWER) and allowed[1] < MIN_TIMEOUT_EVIDENCE)


def _probe(client: ApiClient, cluster: str) -> Callable[[], None]:
    def probe() -> None:
        _request(
            client,
            cluster,
            "GET",
            "/version",
            timeout=(PROBE_TIMEOUT, PROBE_TIMEOUT),
            guarded=False,
        )

    return probe


def cluster_state(cluster: str) -> Breaker:
    """The cluster's breaker: whether this process knows it to be down, and since when."""
    return cluster_breaker(cluster)


def _decode(cluster: str, path: str, data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except ValueError:
        raise KubeError(
            cluster, f"the API server sent something that is not JSON for {path}"
        ) from None
    if not isinstance(document, dict):
        raise KubeError(cluster, f"the API server sent an unexpected answer for {path}")
    return document


def get_json(
    client: ApiClient,
    cluster: str,
    path: str,
    *,
    query: Sequence[tuple[str, str]] = (),
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> dict[str, Any] | None:
    """GET a path; None when the server does not serve it (404)."""
    status, data = _request(client, cluster, "GET", path, query=query, timeout=timeout)
    return None if status == 404 else _decode(cluster, path, data)


def post_json(
    client: ApiClient,
    cluster: str,
    path: str,
    body: Mapping[str, Any],
    *,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """POST a body (reviews: SelfSubjectAccessReview, TokenReview) and return the answer."""
    status, data = _request(client, cluster, "POST", path, body=body, timeout=timeout)
    if status == 404:
        raise KubeError(cluster, f"the API server does not serve {path}")
    return _decode(cluster, path, data)


def apply_object(
    client: ApiClient,
    cluster: str,
    path: str,
    body: Mapping[str, Any],
    *,
    field_manager: str,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """Server-side apply of one object at its own path: created when missing, brought to
    `body` when present, so running an admin command twice changes nothing more. Only the
    console's administrative commands write; its pages never do."""
    status, data = _request(
        client,
        cluster,
        "PATCH",
        path,
        query=[("fieldManager", field_manager), ("force", "true")],
        body=body,
        content_type="application/apply-patch+yaml",  # JSON is YAML
        timeout=timeout,
    )
    if status == 404:
        raise KubeError(cluster, f"the API server does not serve {path}")
    return _decode(cluster, path, data)


def write_json(
    client: ApiClient,
    cluster: str,
    method: str,
    path: str,
    body: Mapping[str, Any] | None = None,
    *,
    dry_run: bool = False,
    field_manager: str = "kiali-console",
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """Create (POST), replace (PUT) or delete (DELETE) one object; with `dry_run` the API
    server validates and runs admission without storing anything. A refusal raises the
    KubeError of its status, with the server's own words in `server_text`."""
    query = [("fieldManager", field_manager)] if method in ("POST", "PUT") else []
    if dry_run:
        query.append(("dryRun", "All"))
    status, data = _request(client, cluster, method, path, query=query, body=body, timeout=timeout)
    if status == 404:
        error = KubeError(cluster, "the object is not there (it was deleted meanwhile?)")
        error.status, error.server_text = 404, "not found"
        raise error
    return _decode(cluster, path, data) if data else {}


def list_items(
    client: ApiClient,
    cluster: str,
    group_version: str,
    plural: str,
    *,
    namespace: str | None = None,
    label_selector: str = "",
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> list[dict[str, Any]]:
    """One list call for a kind, all namespaces unless one is named; [] when not served."""
    prefix = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    path = f"{prefix}/namespaces/{namespace}/{plural}" if namespace else f"{prefix}/{plural}"
    query = [("labelSelector", label_selector)] if label_selector else []
    body = get_json(client, cluster, path, query=query, timeout=timeout)
    if body is None:
        return []
    return list(body.get("items") or [])


def server_version(client: ApiClient, cluster: str, timeout: float = 5.0) -> str:
    """The API server's gitVersion; the cheapest call that proves the cluster answers."""
    body = get_json(client, cluster, "/version", timeout=(timeout, timeout))
    return str((body or {}).get("gitVersion", ""))
