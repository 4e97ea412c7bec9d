"""The masthead's Istio status and the effective configuration shown in the help menu."""

from __future__ import annotations

from kiali_site.config import parse_config
from kiali_site.effective_config import effective_config_yaml
from mesh.about import istio_status
from mesh.inventory.model import ClusterSnapshot
from mesh.kube.controlplanes import ControlPlane


def plane(cluster: str, ready: int, namespace: str = "istio-system") -> ControlPlane:
    return ControlPlane(cluster, namespace, "istiod", "default", "1.24.2", cluster, 1, ready)


SNAPSHOTS = {
    "east": ClusterSnapshot("east", 0.0, control_planes=[plane("east", 1)]),
    "west": ClusterSnapshot("west", 0.0, control_planes=[plane("west", 0)]),
}


def test_the_status_counts_control_planes_not_ready_and_clusters_not_known():
    status = istio_status({"east": ["istio-system"], "west": ["istio-system"]}, SNAPSHOTS.get, {})
    assert status is not None
    assert [c.cluster for c in status.clusters] == ["east", "west"]
    assert (status.issues, status.state) == (1, "error")  # west has no ready istiod
    east_only = istio_status({"east": ["istio-system"]}, SNAPSHOTS.get, {})
    assert east_only is not None and east_only.state == "ok"
    gone = istio_status({"east": ["istio-system"]}, SNAPSHOTS.get, {"east": "unreachable"})
    assert gone is not None and gone.clusters[0].problem == "unreachable"
    assert gone.state == "error"
    assert istio_status({"east": ["istio-system"]}, {}.get, {}) is None  # not read yet


def test_control_planes_in_namespaces_the_user_cannot_see_are_not_reported():
    assert istio_status({"east": ["bookinfo"], "west": ["sample"]}, SNAPSHOTS.get, {}) is None


def test_the_configuration_shown_holds_no_credential():
    config = parse_config(
        """
auth:
  strategy: openid
  openid: {client_id: console, client_secret: s3cr3t-value, issuer_uri: "https://idp.example"}
external_services:
  prometheus:
    url: "http://reader:pr0m-pass@prometheus:9090"
    auth: {type: bearer, token: tok3n-value}
login_token: {signing_key: "0123456789abcdef0123456789abcdef"}
"""
    )
    shown = effective_config_yaml(config)
    for secret in ("s3cr3t-value", "pr0m-pass", "tok3n-value", "0123456789abcdef"):
        assert secret not in shown
    assert "client_id: console" in shown
    assert "http://reader:<hidden>@prometheus:9090" in shown
    assert "client_secret: Secret(<hidden>)" in shown
