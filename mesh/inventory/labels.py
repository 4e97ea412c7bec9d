"""Which labels name an app and its version (Kiali's precedence, or the configured names)."""

from __future__ import annotations

from collections.abc import Mapping

from kiali_site.config import IstioLabels

DEFAULT_APP_LABELS = ("service.istio.io/canonical-name", "app.kubernetes.io/name", "app")
DEFAULT_VERSION_LABELS = (
    "service.istio.io/canonical-revision",
    "app.kubernetes.io/version",
    "version",
)
GATEWAY_LABEL_VALUES = {"ingressgateway", "egressgateway", "eastwestgateway"}


def app_label_names(config: IstioLabels) -> tuple[str, ...]:
    return (config.app_label_name,) if config.app_label_name else DEFAULT_APP_LABELS


def version_label_names(config: IstioLabels) -> tuple[str, ...]:
    return (config.version_label_name,) if config.version_label_name else DEFAULT_VERSION_LABELS


def first_label(labels: Mapping[str, str], names: tuple[str, ...]) -> str:
    for name in names:
        if labels.get(name):
            return labels[name]
    return ""


def is_gateway(labels: Mapping[str, str]) -> bool:
    """Istio's gateway charts and Gateway API deployments label their pods this way."""
    return (
        labels.get("istio") in GATEWAY_LABEL_VALUES
        or "gateway.networking.k8s.io/gateway-name" in labels
        or labels.get("istio.io/gateway-name", "") != ""
    )
