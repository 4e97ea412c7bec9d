"""The ways a read from a cluster fails, each with a message fit for a page.

Messages are the console's own plain words: the kind of resource a refusal was about, or
the connection error's kind. The API server's Status text names the identity that asked
(often the console's own account), so it is logged where the error is made, never carried.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mesh.outages import Outage


class KubeError(Exception):
    """A cluster read that failed; str() is safe to show to the operator."""

    status = 0  # the HTTP status, when the API server answered
    server_text = ""  # the API server's own words, for writes only (mesh.writes)

    def __init__(self, cluster: str, message: str) -> None:
        super().__init__(f"{cluster}: {message}")
        self.cluster = cluster
        self.message = message


class KubeForbidden(KubeError):
    """RBAC said no (HTTP 403)."""


class KubeUnauthorized(KubeError):
    """The credentials were rejected (HTTP 401): an expired or revoked token."""


class ClusterUnreachable(KubeError):
    """No answer: refused, timed out, TLS failed, or the kubeconfig cannot be used.

    `outage` is set once the cluster's breaker is open (mesh.outages): then the error says
    since when, and pages answer 503 rather than waiting on the cluster again."""

    def __init__(self, cluster: str, message: str, outage: Outage | None = None) -> None:
        super().__init__(cluster, message)
        self.outage = outage
