"""The configuration file: Kiali's key layout, upstream's defaults, and clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiali_site.config import ConfigError, Duration, KialiConfig, Secret, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


def test_no_file_gives_upstream_defaults():
    config = load_config(None)
    assert config == KialiConfig()
    assert config.auth.strategy == "token"
    assert config.server.port == 20001
    assert config.deployment.namespace == "istio-system"
    assert config.kubernetes_config.cache_token_namespace_duration == 10
    assert config.external_services.prometheus.url == "http://prometheus.istio-system:9090"
    assert config.external_services.prometheus.thanos_proxy.scrape_interval == 30
    assert config.health_config.compute.duration == 300
    assert config.kiali_feature_flags.validations.ignore == ["KIA1301"]


def test_a_kiali_cr_its_spec_and_the_config_map_all_load_the_same_settings():
    spec = "auth:\n  strategy: anonymous\nserver:\n  web_root: /kiali\n"
    cr = "apiVersion: kiali.io/v1alpha1\nkind: Kiali\nspec:\n" + "".join(
        "  " + line + "\n" for line in spec.splitlines()
    )
    config_map = "apiVersion: v1\nkind: ConfigMap\ndata:\n  config.yaml: |\n" + "".join(
        "    " + line + "\n" for line in spec.splitlines()
    )
    loaded = [parse_config(text) for text in (spec, cr, config_map)]
    assert all(c.auth.strategy == "anonymous" and c.server.web_root == "/kiali" for c in loaded)


def test_unknown_keys_are_ignored():
    config = parse_config("auth:\n  strategy: anonymous\n  brand_new_key: 1\nnot_a_section: {}\n")
    assert config.auth.strategy == "anonymous"


def test_nested_settings_are_typed():
    config = parse_config(
        """
auth: {strategy: anonymous}
clustering:
  clusters: [{name: west, secret_name: west-secret}, {name: far}]
  kiali_urls: [{cluster_name: far, instance_name: kiali, namespace: istio-system, url: "https://far/"}]
external_services:
  prometheus:
    url: https://thanos:9091
    auth: {type: basic, username: admin, password: /run/secret/pw}
    query_scope: {mesh_id: mesh1}
    thanos_proxy: {enabled: true, scrape_interval: 5m, retention_period: 14d}
health_config:
  rate:
    - namespace: "bookinfo"
      tolerance: [{code: "5XX", degraded: 5, failure: 20, protocol: http, direction: inbound}]
"""
    )
    assert [c.name for c in config.clustering.clusters] == ["west", "far"]
    assert config.clustering.clusters[1].secret_name == ""
    assert config.clustering.kiali_urls[0].url == "https://far/"
    prom = config.external_services.prometheus
    assert prom.auth.password.is_file and prom.auth.password.path == "/run/secret/pw"
    assert prom.thanos_proxy.scrape_interval == 300
    assert prom.thanos_proxy.retention_period == 14 * 86400
    assert config.health_config.rate[0].tolerance[0].failure == 20.0


def test_secrets_never_show_in_repr():
    config = parse_config(
        "auth: {strategy: anonymous}\n"
        "external_services: {prometheus: {auth: {type: bearer, token: s3cr3t-value}}}\n"
    )
    assert "s3cr3t-value" not in repr(config)
    assert config.external_services.prometheus.auth.token.value() == "s3cr3t-value"


def test_file_secrets_are_read_at_each_use(tmp_path):
    secret_file = tmp_path / "token"
    secret_file.write_text("first\n")
    secret = Secret(str(secret_file))
    assert secret.value() == "first"
    secret_file.write_text("rotated\n")
    assert secret.value() == "rotated"


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("7d", 604800), (15, 15), ("500ms", 0.5)],
)
def test_durations_read_like_kiali_writes_them(raw, seconds):
    assert Duration.parse(raw) == seconds


def test_a_health_window_under_a_minute_is_raised_to_one_minute():
    config = parse_config("health_config: {compute: {duration: 10s}}\n")
    assert config.health_config.compute.duration == 60


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "auth:\n  strategy: a: b\n",
            "not valid YAML at line 2, column 14: mapping values are not allowed here",
        ),
        ("auth:\n  strategy: magic\n", "auth.strategy: unknown strategy 'magic'"),
        ("server:\n  port: twenty\n", "server.port: expected a whole number, got a string"),
        (
            "deployment:\n  view_only_mode: 'yes'\n",
            "deployment.view_only_mode: expected true or false",
        ),
        (
            "external_services:\n  prometheus:\n    url: ''\n",
            "external_services.prometheus.url: is required",
        ),
        (
            "external_services:\n  prometheus:\n    auth: {type: magic}\n",
            "external_services.prometheus.auth.type: unknown type 'magic'",
        ),
        (
            "clustering:\n  clusters: {name: west}\n",
            "clustering.clusters: expected a list, got a mapping",
        ),
        (
            "clustering:\n  ignore_home_cluster: true\n",
            "kubernetes_config.cluster_name: is required",
        ),
        ("server:\n  web_root: /kiali/\n", "server.web_root: must start with '/'"),
        (
            "health_config:\n  compute:\n    duration: soon\n",
            "health_config.compute.duration: expected a duration",
        ),
        ("- just\n- a list\n", "expected a mapping of settings, got a list"),
        (
            "auth: {strategy: token}\nlogin_token: {signing_key: short}\n",
            "login_token.signing_key: must be 16, 24 or 32",
        ),
        (
            "kiali_feature_flags:\n  ui_defaults:\n    graph:\n      traffic: {tcp: bytes}\n",
            "kiali_feature_flags.ui_defaults.graph.traffic.tcp: must be one of none, sent",
        ),
        (
            "kiali_feature_flags:\n  ui_defaults:\n    graph:\n      settings: {animation: x}\n",
            "kiali_feature_flags.ui_defaults.graph.settings.animation: must be point or dash",
        ),
        (
            "kiali_feature_flags:\n  ui_defaults:\n    graph:\n      find_options: {a: b}\n",
            "kiali_feature_flags.ui_defaults.graph.find_options: expected a list",
        ),
    ],
)
def test_a_bad_file_names_the_file_and_the_key(tmp_path, text, message):
    path = tmp_path / "kiali.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(str(path))
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_a_missing_file_is_named():
    with pytest.raises(
        ConfigError, match=r"/nowhere/kiali\.yaml: cannot read the configuration file"
    ):
        load_config("/nowhere/kiali.yaml")


def test_start_up_stops_with_one_line_naming_the_key(tmp_path):
    path = tmp_path / "kiali.yaml"
    path.write_text("auth:\n  strategy: magic\n")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"KIALI_CONFIG": str(path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"configuration error: {path}: auth.strategy: unknown strategy 'magic'; "
        "use one of anonymous, token, openid, openshift, header"
    )


def test_a_secret_reference_is_read_at_each_use_and_never_shown(monkeypatch, tmp_path):
    from kiali_site import config
    from kiali_site.config import Secret, use_secret_reader

    monkeypatch.setattr(config, "_secret_reader", [])  # the app's own reader comes back after
    monkeypatch.setattr(config.tempfile, "tempdir", str(tmp_path))

    reads: list[tuple[str, str]] = []

    def reader(name: str, key: str) -> bytes:
        reads.append((name, key))
        return b"s3cret\n"

    use_secret_reader(reader)
    secret = Secret("secret:acm-observability-certs:tls.crt")
    assert secret.reference == ("acm-observability-certs", "tls.crt")
    assert secret.value() == "s3cret" and secret.value() == "s3cret"
    assert reads == [("acm-observability-certs", "tls.crt")] * 2
    path = secret.path
    assert Path(path).read_bytes() == b"s3cret\n"
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert "s3cret" not in repr(secret) and "acm-observability-certs" in repr(secret)
    assert Secret("secret:only-a-name").reference is None  # a literal, as upstream reads it
