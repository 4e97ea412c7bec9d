"""The console's configuration: one YAML file in Kiali's key layout, typed into dataclasses.

The file may be the `spec` of a Kiali CR, a Kiali CR itself, Kiali's config map (its
`data.config.yaml`), or the bare mapping. Unknown keys are ignored so an existing Kiali
configuration can be reused as it is; a value of the wrong type, an unknown auth strategy or
a missing Prometheus URL stops start-up with one message naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file and the key."""


# How a `secret:<name>:<key>` value is read: set once at start-up to a function that reads
# that key of that Secret in the console's namespace through the API (mesh/secret_refs.py).
SecretReader = Callable[[str, str], bytes]
_secret_reader: list[SecretReader] = []


def use_secret_reader(reader: SecretReader) -> None:
    _secret_reader[:] = [reader]


class Secret:
    """A credential value: a literal, an absolute file path, or `secret:<name>:<key>` (a key
    of a Secret in the console's namespace), read at each use.

    Reading at use gives hot rotation, as upstream does for mounted secrets; a Secret is read
    through the API, so rotating it needs neither a restart nor a remount. The value never
    appears in repr() or str(), so a config object can be logged without leaking it.
    """

    def __init__(self, raw: str = "") -> None:
        self._raw = raw

    def __bool__(self) -> bool:
        return bool(self._raw)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    def __repr__(self) -> str:
        if not self._raw:
            return "Secret(<empty>)"
        if self.reference:
            return "Secret(<secret {}:{}>)".format(*self.reference)
        return "Secret(<file>)" if self.is_file else "Secret(<hidden>)"

    __str__ = __repr__

    @property
    def is_file(self) -> bool:
        return self._raw.startswith("/")

    @property
    def reference(self) -> tuple[str, str] | None:
        """(Secret name, key) of a `secret:<name>:<key>` value."""
        if not self._raw.startswith("secret:"):
            return None
        name, _, key = self._raw.removeprefix("secret:").partition(":")
        return (name, key) if name and key else None

    @property
    def path(self) -> str:
        """The file path for file-held secrets (cert and key files need the path itself); a
        Secret's key is written to a private file, anew at each use."""
        if self.reference:
            return _materialized(*self.reference, self._read_reference())
        return self._raw if self.is_file else ""

    def _read_reference(self) -> bytes:
        assert self.reference is not None
        if not _secret_reader:
            raise ConfigError("secret:<name>:<key> values need the console's home cluster")
        return _secret_reader[0](*self.reference)

    def value(self) -> str:
        if self.reference:
            return self._read_reference().decode().strip()
        if not self.is_file:
            return self._raw
        try:
            return Path(self._raw).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read secret file {self._raw}: {exc.strerror}") from None


def _materialized(name: str, key: str, content: bytes) -> str:
    """Certificates and keys are handed to TLS libraries as files: one private file per
    Secret key, replaced whole each time, so a reader never sees half of a rotation."""
    folder = Path(tempfile.gettempdir()) / f"console-secrets-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    target = folder / f"{name}--{key}"
    handle, temporary = tempfile.mkstemp(dir=folder)
    with os.fdopen(handle, "wb") as out:
        out.write(content)
    os.replace(temporary, target)
    return str(target)


class Duration(float):
    """Seconds, written in the file as Go durations ("30s", "5m", "1h30m", "7d") or a number."""

    _PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
    _UNITS = {
        "ms": 0.001,
        "s": 1,
        "m": 60,
        "h": 3600,
        "d": 86400,
        "w": 604800,
        "y": 31536000,
    }

    @classmethod
    def parse(cls, raw: object) -> Duration:
        if isinstance(raw, bool):
            raise ValueError("expected a duration such as 30s or 5m")
        if isinstance(raw, int | float):
            return cls(raw)
        text = str(raw).strip()
        if not text:
            raise ValueError("expected a duration such as 30s or 5m, got an empty value")
        pos, total = 0, 0.0
        for match in cls._PART.finditer(text):
            if match.start() != pos:
                break
            total += float(match.group(1)) * cls._UNITS[match.group(2)]
            pos = match.end()
        if pos != len(text):
            raise ValueError(f"expected a duration such as 30s or 5m, got {text!r}")
        return cls(total)

    def prometheus(self) -> str:
        """The duration as PromQL writes it (whole seconds)."""
        return f"{int(self)}s"


# --- the configuration, in Kiali's key layout -------------------------------------------------


@dataclass(frozen=True)
class OpenIdDiscoveryOverride:
    authorization_endpoint: str = ""
    token_endpoint: str = ""
    jwks_uri: str = ""
    userinfo_endpoint: str = ""
    end_session_endpoint: str = ""


@dataclass(frozen=True)
class OpenIdConfig:
    client_id: str = ""
    client_secret: Secret = field(default_factory=Secret)
    issuer_uri: str = ""
    scopes: list[str] = field(default_factory=lambda: ["openid", "profile", "email"])
    username_claim: str = "sub"
    api_token: str = "id_token"
    disable_rbac: bool = False
    allowed_domains: list[str] = field(default_factory=list)
    authentication_timeout: int = 300
    additional_request_params: dict[str, str] = field(default_factory=dict)
    discovery_override: OpenIdDiscoveryOverride = field(default_factory=OpenIdDiscoveryOverride)
    post_logout_redirect_uri: str = ""
    insecure_skip_verify_tls: bool = False


@dataclass(frozen=True)
class OpenShiftClusterOAuth:
    """Clone-only: the OAuth client of one cluster, so no operator-made OAuthClient is needed."""

    client_id: str = ""
    client_secret: Secret = field(default_factory=Secret)
    redirect_uri: str = ""
    oauth_server_url: str = ""


@dataclass(frozen=True)
class OpenShiftConfig:
    insecure_skip_verify_tls: bool = False
    clusters: dict[str, OpenShiftClusterOAuth] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthConfig:
    strategy: str = "token"
    openid: OpenIdConfig = field(default_factory=OpenIdConfig)
    openshift: OpenShiftConfig = field(default_factory=OpenShiftConfig)


@dataclass(frozen=True)
class LoginTokenConfig:
    signing_key: Secret = field(default_factory=lambda: Secret("kiali"))
    expiration_seconds: int = 86400


@dataclass(frozen=True)
class ServerConfig:
    address: str = ""
    port: int = 20001
    web_root: str = "/"
    web_fqdn: str = ""
    web_schema: str = ""
    web_port: str = ""
    require_auth: bool = False
    audit_log: bool = True


@dataclass(frozen=True)
class LabelSelector:
    matchLabels: dict[str, str] = field(default_factory=dict)
    matchExpressions: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class DiscoverySelectors:
    default: list[LabelSelector] | None = None
    overrides: dict[str, list[LabelSelector]] = field(default_factory=dict)


@dataclass(frozen=True)
class DeploymentConfig:
    instance_name: str = "kiali"
    namespace: str = "istio-system"
    cluster_wide_access: bool = True
    discovery_selectors: DiscoverySelectors = field(default_factory=DiscoverySelectors)
    view_only_mode: bool = False
    cluster_name_overrides: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class KubernetesConfig:
    cluster_name: str = ""
    cache_token_namespace_duration: int = 10
    cache_duration: int = 300
    qps: int = 175
    burst: int = 200
    excluded_workloads: list[str] = field(
        default_factory=lambda: ["CronJob", "DeploymentConfig", "Job", "ReplicationController"]
    )


@dataclass(frozen=True)
class ClusterEntry:
    name: str = ""
    secret_name: str = ""


@dataclass(frozen=True)
class KialiUrl:
    cluster_name: str = ""
    instance_name: str = ""
    namespace: str = ""
    url: str = ""


@dataclass(frozen=True)
class ClusteringConfig:
    clusters: list[ClusterEntry] = field(default_factory=list)
    kiali_urls: list[KialiUrl] = field(default_factory=list)
    ignore_home_cluster: bool = False
    enable_exec_provider: bool = False
    autodetect_secrets: bool = True


@dataclass(frozen=True)
class ServiceAuth:
    """Credentials towards Prometheus, Grafana or tracing; every credential may be a file path."""

    type: str = "none"
    username: Secret = field(default_factory=Secret)
    password: Secret = field(default_factory=Secret)
    token: Secret = field(default_factory=Secret)
    use_kiali_token: bool = False
    cert_file: Secret = field(default_factory=Secret)
    key_file: Secret = field(default_factory=Secret)
    insecure_skip_verify: bool = False
    ca_file: str = ""  # deprecated upstream and ignored; kept so old files still load


@dataclass(frozen=True)
class ThanosProxy:
    enabled: bool = False
    scrape_interval: Duration = Duration(30)
    retention_period: Duration = Duration(7 * 86400)


@dataclass(frozen=True)
class PrometheusConfig:
    url: str = "http://prometheus.istio-system:9090"
    enabled: bool = True
    auth: ServiceAuth = field(default_factory=ServiceAuth)
    custom_headers: dict[str, str] = field(default_factory=dict)
    query_scope: dict[str, str] = field(default_factory=dict)
    thanos_proxy: ThanosProxy = field(default_factory=ThanosProxy)
    cache_enabled: bool = True
    cache_duration: int = 7
    cache_expiration: int = 300
    health_check_url: str = ""
    is_core: bool = False
    timeout: Duration = Duration(30)  # clone-only: per-query timeout


@dataclass(frozen=True)
class GrafanaDashboard:
    name: str = ""
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GrafanaConfig:
    enabled: bool = True
    internal_url: str = "http://grafana.istio-system:3000"
    external_url: str = ""
    auth: ServiceAuth = field(default_factory=ServiceAuth)
    dashboards: list[GrafanaDashboard] = field(default_factory=list)
    datasource_uid: str = ""
    health_check_url: str = ""
    is_core: bool = False


@dataclass(frozen=True)
class TracingConfig:
    enabled: bool = False
    provider: str = "jaeger"
    internal_url: str = "http://tracing.istio-system:16685/jaeger"
    external_url: str = ""
    use_grpc: bool = True
    grpc_port: int = 9095
    auth: ServiceAuth = field(default_factory=ServiceAuth)
    namespace_selector: bool = True
    query_scope: dict[str, str] = field(default_factory=dict)
    query_timeout: int = 5
    health_check_url: str = ""
    is_core: bool = False


@dataclass(frozen=True)
class IstioConfig:
    root_namespace: str = "istio-system"
    config_map_name: str = "istio"
    istiod_deployment_name: str = "istiod"
    istio_api_enabled: bool = True
    validation_reconcile_interval: Duration = Duration(60)
    gateway_api_classes: list[dict[str, str]] = field(default_factory=list)
    istio_identity_domain: str = ""


@dataclass(frozen=True)
class ExternalServices:
    prometheus: PrometheusConfig = field(default_factory=PrometheusConfig)
    grafana: GrafanaConfig = field(default_factory=GrafanaConfig)
    tracing: TracingConfig = field(default_factory=TracingConfig)
    istio: IstioConfig = field(default_factory=IstioConfig)


@dataclass(frozen=True)
class HealthCompute:
    duration: Duration = Duration(300)
    refresh_interval: Duration = Duration(180)
    timeout: Duration = Duration(600)


@dataclass(frozen=True)
class ToleranceConfig:
    code: str = ""
    protocol: str = ""
    direction: str = ""
    degraded: float = 0
    failure: float = 0


@dataclass(frozen=True)
class RateRule:
    namespace: str = ""
    kind: str = ""
    name: str = ""
    tolerance: list[ToleranceConfig] = field(default_factory=list)


@dataclass(frozen=True)
class HealthConfig:
    compute: HealthCompute = field(default_factory=HealthCompute)
    rate: list[RateRule] = field(default_factory=list)


@dataclass(frozen=True)
class IstioLabels:
    app_label_name: str = ""
    version_label_name: str = ""
    injection_label_name: str = "istio-injection"
    injection_label_rev: str = "istio.io/rev"


@dataclass(frozen=True)
class ValidationFlags:
    ignore: list[str] = field(default_factory=lambda: ["KIA1301"])
    skip_wildcard_gateway_hosts: bool = False


# What the graph's traffic selector offers per protocol (the graph API's rate options).
GRAPH_TRAFFIC_CHOICES = {
    "http": ("none", "requests"),
    "grpc": ("none", "requests", "sent", "received", "total"),
    "tcp": ("none", "sent", "received", "total"),
    "ambient": ("none", "total", "waypoint", "ztunnel"),
}


@dataclass(frozen=True)
class GraphExpression:
    """A preset of the graph's Find or Hide box."""

    description: str = ""
    expression: str = ""
    auto_select: bool = False


def _find_presets() -> list[GraphExpression]:
    return [
        GraphExpression("Find: slow edges (> 1s)", "rt > 1000"),
        GraphExpression("Find: unhealthy nodes", "! healthy"),
        GraphExpression("Find: unknown nodes", "name = unknown"),
        GraphExpression("Find: the two highest-ranked nodes", "rank <= 2"),
    ]


def _hide_presets() -> list[GraphExpression]:
    return [
        GraphExpression("Hide: healthy nodes", "healthy"),
        GraphExpression("Hide: unknown nodes", "name = unknown"),
        GraphExpression("Hide: nodes ranked below the top two", "rank > 2"),
    ]


@dataclass(frozen=True)
class GraphTraffic:
    """The traffic selector's initial choice per protocol."""

    http: str = "requests"
    grpc: str = "requests"
    tcp: str = "sent"
    ambient: str = "total"


@dataclass(frozen=True)
class GraphSettings:
    animation: str = "point"  # traffic animation: moving points, or dashes


@dataclass(frozen=True)
class GraphUiDefaults:
    find_options: list[GraphExpression] = field(default_factory=_find_presets)
    hide_options: list[GraphExpression] = field(default_factory=_hide_presets)
    traffic: GraphTraffic = field(default_factory=GraphTraffic)
    settings: GraphSettings = field(default_factory=GraphSettings)


@dataclass(frozen=True)
class UiDefaults:
    refresh_interval: str = "1m"
    metrics_per_refresh: str = "1m"
    namespaces: list[str] = field(default_factory=list)
    graph: GraphUiDefaults = field(default_factory=GraphUiDefaults)


@dataclass(frozen=True)
class FeatureFlags:
    validations: ValidationFlags = field(default_factory=ValidationFlags)
    ui_defaults: UiDefaults = field(default_factory=UiDefaults)
    disabled_features: list[str] = field(default_factory=list)
    istio_injection_action: bool = True
    istio_annotation_action: bool = True
    istio_upgrade_action: bool = False


@dataclass(frozen=True)
class HealthCache:
    enabled: bool = True


@dataclass(frozen=True)
class Deadlines:
    """Clone-only: how long one request may wait, in all, on each dependency. Past it the
    request answers with what it has, or 503; see mesh/deadline.py."""

    # A graph's Prometheus queries (and its side panel's): 9 s, so that with the rest of the
    # request a graph answers, or says why not, within 10 s.
    graph: Duration = Duration(9)
    metrics: Duration = Duration(6)  # a metrics tab's queries
    pages: Duration = Duration(4)  # health computed on demand for a page
    kubernetes: Duration = Duration(8)  # all of a request's reads of one cluster


@dataclass(frozen=True)
class SlowRequests:
    """Clone-only: graph and metrics requests wait on Prometheus for seconds; at most
    `concurrent` of them run at once in a server process, so the rest of its threads stay
    free for pages. One more waits up to `queue_wait` for a slot, then gets a 503."""

    concurrent: int = 4
    queue_wait: Duration = Duration(2)


@dataclass(frozen=True)
class KialiInternal:
    health_cache: HealthCache = field(default_factory=HealthCache)
    deadlines: Deadlines = field(default_factory=Deadlines)
    slow_requests: SlowRequests = field(default_factory=SlowRequests)
    # Clone-only: charts start no earlier than their namespace's creation (metrics.md 6.2).
    # The demo turns it off: its namespaces are created at start, its telemetry backfilled.
    metrics_since_namespace_creation: bool = True


@dataclass(frozen=True)
class KialiConfig:
    auth: AuthConfig = field(default_factory=AuthConfig)
    login_token: LoginTokenConfig = field(default_factory=LoginTokenConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    deployment: DeploymentConfig = field(default_factory=DeploymentConfig)
    kubernetes_config: KubernetesConfig = field(default_factory=KubernetesConfig)
    clustering: ClusteringConfig = field(default_factory=ClusteringConfig)
    external_services: ExternalServices = field(default_factory=ExternalServices)
    health_config: HealthConfig = field(default_factory=HealthConfig)
    istio_labels: IstioLabels = field(default_factory=IstioLabels)
    kiali_feature_flags: FeatureFlags = field(default_factory=FeatureFlags)
    kiali_internal: KialiInternal = field(default_factory=KialiInternal)


STRATEGIES = ("anonymous", "token", "openid", "openshift", "header")
AUTH_TYPES = ("none", "basic", "bearer", "oauth2")
KNOWN_DISABLED_FEATURES = ("logs-tab",)


# --- loading ---------------------------------------------------------------------------------


class _KeyError(Exception):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key
        self.problem = problem


def _type_name(value: object) -> str:
    if value is None:
        return "nothing (null)"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def _convert(value: Any, hint: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _convert(value, options[0], key)
    if dataclasses.is_dataclass(hint):
        if value is None:
            return hint()  # type: ignore[operator]
        if not isinstance(value, dict):
            raise _KeyError(key, f"expected a mapping, got {_type_name(value)}")
        return _build(hint, value, key)  # type: ignore[arg-type]
    if origin is list:
        if value is None:
            return []
        if not isinstance(value, list):
            raise _KeyError(key, f"expected a list, got {_type_name(value)}")
        (item,) = typing.get_args(hint)
        return [_convert(v, item, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise _KeyError(key, f"expected a mapping, got {_type_name(value)}")
        _, item = typing.get_args(hint)
        return {str(k): _convert(v, item, f"{key}.{k}") for k, v in value.items()}
    if hint is Any:
        return value
    if hint is Secret:
        if value is None:
            return Secret()
        if isinstance(value, bool | dict | list):
            raise _KeyError(key, f"expected a string or a file path, got {_type_name(value)}")
        return Secret(str(value))
    if hint is Duration:
        try:
            return Duration.parse(value)
        except ValueError as exc:
            raise _KeyError(key, str(exc)) from None
    if hint is bool:
        if not isinstance(value, bool):
            raise _KeyError(key, f"expected true or false, got {_type_name(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _KeyError(key, f"expected a whole number, got {_type_name(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _KeyError(key, f"expected a number, got {_type_name(value)}")
        return float(value)
    if hint is str:
        if isinstance(value, bool | dict | list) or value is None:
            raise _KeyError(key, f"expected a string, got {_type_name(value)}")
        return str(value)
    raise TypeError(f"unsupported configuration type {hint!r} at {key}")


def _build(cls: type[Any], data: dict[str, Any], prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            key = f"{prefix}.{f.name}" if prefix else f.name
            kwargs[f.name] = _convert(data[f.name], hints[f.name], key)
    return cls(**kwargs)


def _unwrap(document: Any) -> Any:
    """Accept a Kiali CR, its spec, Kiali's ConfigMap, or the bare mapping."""
    if not isinstance(document, dict):
        return document
    if document.get("kind") == "Kiali" and isinstance(document.get("spec"), dict):
        return document["spec"]
    if document.get("kind") == "ConfigMap" and isinstance(document.get("data"), dict):
        inner = document["data"].get("config.yaml")
        if isinstance(inner, str):
            return yaml.safe_load(inner) or {}
    return document


def _check(config: KialiConfig) -> None:
    """Upstream's fail-fast rules; each raises _KeyError naming the key."""
    if config.auth.strategy not in STRATEGIES:
        raise _KeyError(
            "auth.strategy",
            f"unknown strategy {config.auth.strategy!r}; use one of {', '.join(STRATEGIES)}",
        )
    # The upstream default "kiali" is left alone: sessions here are Django's, signed with
    # SECRET_KEY, so only a key the operator chose is held to upstream's length rule.
    key = config.login_token.signing_key
    chosen = config.auth.strategy != "anonymous" and key and key != Secret("kiali")
    if chosen and not key.is_file and len(key.value().encode()) not in (16, 24, 32):
        raise _KeyError("login_token.signing_key", "must be 16, 24 or 32 bytes long")
    root = config.server.web_root
    if not root.startswith("/") or (root != "/" and root.endswith("/")) or "/../" in root + "/":
        raise _KeyError(
            "server.web_root", "must start with '/', have no trailing '/' and no '/../'"
        )
    prom = config.external_services.prometheus
    if prom.enabled and not prom.url.strip():
        raise _KeyError(
            "external_services.prometheus.url", "is required while Prometheus is enabled"
        )
    for name, auth in (
        ("prometheus", prom.auth),
        ("grafana", config.external_services.grafana.auth),
        ("tracing", config.external_services.tracing.auth),
    ):
        if auth.type not in AUTH_TYPES:
            raise _KeyError(
                f"external_services.{name}.auth.type",
                f"unknown type {auth.type!r}; use one of {', '.join(AUTH_TYPES)}",
            )
    graph_defaults = config.kiali_feature_flags.ui_defaults.graph
    if graph_defaults.settings.animation not in ("point", "dash"):
        raise _KeyError(
            "kiali_feature_flags.ui_defaults.graph.settings.animation", "must be point or dash"
        )
    traffic = graph_defaults.traffic
    for protocol, choices in GRAPH_TRAFFIC_CHOICES.items():
        if getattr(traffic, protocol) not in choices:
            raise _KeyError(
                f"kiali_feature_flags.ui_defaults.graph.traffic.{protocol}",
                f"must be one of {', '.join(choices)}",
            )
    if config.external_services.tracing.provider not in ("jaeger", "tempo"):
        raise _KeyError("external_services.tracing.provider", "must be jaeger or tempo")
    if config.clustering.ignore_home_cluster and not config.kubernetes_config.cluster_name:
        raise _KeyError(
            "kubernetes_config.cluster_name",
            "is required when clustering.ignore_home_cluster is true",
        )
    for feature in config.kiali_feature_flags.disabled_features:
        if feature not in KNOWN_DISABLED_FEATURES:
            raise _KeyError("kiali_feature_flags.disabled_features", f"unknown feature {feature!r}")


def _with_floor(config: KialiConfig) -> KialiConfig:
    """Upstream raises a health window under a minute to one minute instead of failing."""
    compute = config.health_config.compute
    if compute.duration >= 60:
        return config
    health = dataclasses.replace(
        config.health_config, compute=dataclasses.replace(compute, duration=Duration(60))
    )
    return dataclasses.replace(config, health_config=health)


def parse_config(text: str, source: str = "<config>") -> KialiConfig:
    """Type a YAML text into KialiConfig; ConfigError names `source`, the key and the problem."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{source}: not valid YAML{where}: {problem}") from None
    document = _unwrap(document)
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: expected a mapping of settings, got {_type_name(document)}")
    try:
        config = _build(KialiConfig, document, "")
        _check(config)
    except _KeyError as exc:
        raise ConfigError(f"{source}: {exc.key}: {exc.problem}") from None
    return _with_floor(config)


def load_config(path: str | None) -> KialiConfig:
    """Load the file at `path`; no path means every default."""
    if not path:
        return KialiConfig()
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror}") from None
    return parse_config(text, path)
