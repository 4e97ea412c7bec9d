"""The Prometheus client against a real Prometheus, in every way the console may reach one.

Prometheus' own web config covers TLS, basic auth and client certificates, so those run
against the genuine server. It has no bearer-token auth, so bearer modes go through a small
reverse proxy on loopback (below) that checks the Authorization header and forwards to the
real Prometheus: the token check is ours, everything behind it is real. The same proxy
records request headers, which is how custom headers are seen to arrive.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import requests
import trustme

from kiali_site.config import Duration, PrometheusConfig, Secret, ServiceAuth, ThanosProxy
from mesh.deadline import Deadline
from mesh.prometheus.client import PrometheusClient, PrometheusError, PrometheusSettings
from mesh.prometheus.promql import selector
from mesh.sim.prometheus_server import RunningPrometheus, backfill, free_port, start_prometheus
from mesh.sim.telemetry import TelemetryExporter, load_topology
from tests.plugins.prometheus import DEMO_TOPOLOGY

pytestmark = pytest.mark.prometheus

PASSWORD = "s3cret-Passw0rd"
TOKEN = "token-for-prometheus-0123456789"
CONSOLE_TOKEN = "console-service-account-token"


def client_for(url: str, **auth: Any) -> PrometheusClient:
    ca_bundle = auth.pop("ca_bundle", None)
    kiali_token = auth.pop("kiali_token", None)
    extra = {k: auth.pop(k) for k in ("custom_headers", "query_scope", "timeout") if k in auth}
    extra.setdefault("timeout", Duration(10))
    config = PrometheusConfig(url=url, auth=ServiceAuth(**auth), **extra)
    return PrometheusClient(config, ca_bundle=ca_bundle, kiali_token=kiali_token)


# --- certificates and servers ----------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("kiali-console.test")
    files = {
        "ca": folder / "ca.pem",
        "server_cert": folder / "server.pem",
        "server_key": folder / "server-key.pem",
        "client_cert": folder / "client.pem",
        "client_key": folder / "client-key.pem",
    }
    ca.cert_pem.write_to_path(str(files["ca"]))
    server.private_key_pem.write_to_path(str(files["server_key"]))
    client.private_key_pem.write_to_path(str(files["client_key"]))
    for blob in server.cert_chain_pems:
        blob.write_to_path(str(files["server_cert"]), append=True)
    for blob in client.cert_chain_pems:
        blob.write_to_path(str(files["client_cert"]), append=True)
    return {name: str(path) for name, path in files.items()}


@pytest.fixture(scope="module")
def tls_prometheus(prometheus_factory: Any, pki: dict[str, str]) -> RunningPrometheus:
    return prometheus_factory(
        web_config={
            "tls_server_config": {"cert_file": pki["server_cert"], "key_file": pki["server_key"]}
        }
    )


@pytest.fixture(scope="module")
def basic_auth_prometheus(prometheus_factory: Any) -> RunningPrometheus:
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    return prometheus_factory(web_config={"basic_auth_users": {"kiali": hashed}})


@pytest.fixture(scope="module")
def mtls_prometheus(prometheus_factory: Any, pki: dict[str, str]) -> RunningPrometheus:
    return prometheus_factory(
        web_config={
            "tls_server_config": {
                "cert_file": pki["server_cert"],
                "key_file": pki["server_key"],
                "client_auth_type": "RequireAndVerifyClientCert",
                "client_ca_file": pki["ca"],
            }
        }
    )


class BearerProxy:
    """Forwards to a real Prometheus when the bearer token matches; 401 otherwise."""

    def __init__(self, upstream: str, token: str) -> None:
        self.seen_headers: list[dict[str, str]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                proxy.seen_headers.append(dict(self.headers))
                if self.headers.get("Authorization") != f"Bearer {token}":
                    self.send_response(401)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"Unauthorized\n")
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                answer = requests.request(
                    self.command,
                    f"{upstream}{self.path}",
                    data=body,
                    headers={"Content-Type": self.headers.get("Content-Type", "")},
                    timeout=10,
                )
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", ""))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = _forward

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def bearer_proxy(prometheus_server: RunningPrometheus) -> Iterator[BearerProxy]:
    proxy = BearerProxy(prometheus_server.url, TOKEN)
    yield proxy
    proxy.close()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections (the kernel completes the handshake) and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


# --- plain -----------------------------------------------------------------------------------


def test_plain_http_queries_and_label_values(prometheus_server: RunningPrometheus) -> None:
    client = client_for(prometheus_server.url)
    assert client.check() is None
    samples = client.query("sum(istio_requests_total) by (reporter)")
    assert {s.labels["reporter"] for s in samples} == {"source", "destination"}
    assert all(s.value > 0 for s in samples)
    assert "bookinfo" in client.label_values("destination_workload_namespace")
    assert client.label_values("source_workload", ['istio_requests_total{source_app="sleep"}']) == [
        "sleep"
    ]


def test_label_values_of_a_vector_match_its_samples(prometheus_server: RunningPrometheus) -> None:
    client = client_for(prometheus_server.url)
    text = "sum(istio_requests_total) by (reporter, source_cluster, destination_workload)"
    # "class" is a valid label name, though not a Python identifier; no series has it
    names = ("destination_workload", "class", "reporter")
    # One instant for both, a few scrapes back: a scrape started before "now" may still be
    # written between the two queries, so "now" can read two different values.
    now = datetime.now(UTC) - timedelta(seconds=5)
    pairs = client.query_values(text, names, at=now)
    expected = [(tuple(map(s.labels.get, names)), s.value) for s in client.query(text, at=now)]
    assert pairs and sorted(pairs, key=str) == sorted(expected, key=str)
    assert {values[1] for values, _ in pairs} == {None}
    labelled = 'label_replace(vector(2.5), "class", "x", "", "")'
    assert client.query_values(labelled, ("class", "job")) == [(("x", None), 2.5)]


def test_one_series_seen_by_both_reporters_has_one_label_set(
    prometheus_server: RunningPrometheus,
) -> None:
    """What the graph's de-duplication relies on: the same label set from two queries (the
    source and the destination reporter's) is the same bytes, read back to its values."""
    client = client_for(prometheus_server.url)
    by = "source_workload, destination_workload, response_code"
    answers = [
        client.query_label_sets(f'sum(istio_requests_total{{reporter="{side}"}}) by ({by})')
        for side in ("source", "destination")
    ]
    source, destination = ({labels for labels, _ in answer} for answer in answers)
    assert source and source & destination
    read = client.label_reader(("destination_workload", "source_workload", "class"))
    samples = client.query(f'sum(istio_requests_total{{reporter="source"}}) by ({by})')
    assert sorted(read(labels) for labels in source) == sorted(
        (s.labels.get("destination_workload"), s.labels.get("source_workload"), None)
        for s in samples
    )


def test_label_values_read_infinities_and_nan_as_the_sample_reader_does(
    prometheus_server: RunningPrometheus,
) -> None:
    """Values are decoded as numbers in one pass; "+Inf" is not such a number to the
    decoder, so those answers take the careful path, with the same values."""
    client = client_for(prometheus_server.url)
    for text, expected in (
        ('label_replace(vector(+Inf), "job", "a", "", "")', math.inf),
        ('label_replace(vector(-Inf), "job", "a", "", "")', -math.inf),
        ('label_replace(vector(1.25e-3), "job", "a", "", "")', 0.00125),
    ):
        assert client.query_values(text, ("job",)) == [(("a",), expected)]
    ((labels, value),) = client.query_values(
        'label_replace(vector(NaN), "job", "a", "", "")', ("job",)
    )
    assert labels == ("a",) and math.isnan(value)


def test_label_values_want_an_instant_vector(prometheus_server: RunningPrometheus) -> None:
    client = client_for(prometheus_server.url)
    with pytest.raises(
        PrometheusError, match="expected an instant vector, Prometheus returned a scalar"
    ):
        client.query_values("scalar(vector(1))", ("job",))
    with pytest.raises(PrometheusError, match=r"could not run the query: bad_data: .*parse error"):
        client.query_values("sum(", ("job",))


def test_range_queries_return_series(prometheus_server: RunningPrometheus) -> None:
    client = client_for(prometheus_server.url)
    now = time.time()
    series = client.query_range(
        'sum(istio_requests_total{reporter="destination"}) by (destination_cluster)',
        now - 30,
        now,
        5,
    )
    assert {s.labels["destination_cluster"] for s in series} == {"east", "west"}
    assert all(len(s.points) >= 1 for s in series)


def test_the_demo_topology_has_request_series_for_both_clusters(
    prometheus_server: RunningPrometheus,
) -> None:
    client = client_for(prometheus_server.url)
    for side in ("source_cluster", "destination_cluster"):
        clusters = {
            s.labels[side] for s in client.query(f"count(istio_requests_total) by ({side})")
        }
        assert clusters == {"east", "west"}
    crossing = client.query(
        'istio_requests_total{source_cluster="west",destination_cluster="east",'
        'destination_app="helloworld"}'
    )
    assert {s.labels["reporter"] for s in crossing} == {"source", "destination"}


def test_query_scope_is_in_built_queries_and_filters_results(
    prometheus_server: RunningPrometheus,
) -> None:
    client = client_for(prometheus_server.url, query_scope={"source_cluster": "west"})
    query = selector(
        "istio_requests_total", {"reporter": "source"}, scope=client.config.query_scope
    )
    assert 'source_cluster="west"' in query
    samples = client.query(query)
    assert samples
    assert {s.labels["source_cluster"] for s in samples} == {"west"}


def test_hostile_label_values_reach_prometheus_as_plain_strings(
    prometheus_server: RunningPrometheus,
) -> None:
    client = client_for(prometheus_server.url)
    query = selector("istio_requests_total", {"source_workload": 'x"} or vector(1) #\\\n'})
    assert client.query(query) == []


def test_a_prometheus_error_body_becomes_a_clear_error(
    prometheus_server: RunningPrometheus,
) -> None:
    with pytest.raises(PrometheusError, match=r"could not run the query: bad_data: .*parse error"):
        client_for(prometheus_server.url).query("sum(")


def test_disabled_prometheus_returns_nothing_and_says_why() -> None:
    client = PrometheusClient(
        PrometheusConfig(url=f"http://127.0.0.1:{free_port()}", enabled=False)
    )
    assert client.query("up") == []
    assert client.query_range("up", 0, 10, 5) == []
    assert client.label_values("job") == []
    assert client.check() == "Prometheus is disabled in the configuration"


# --- TLS -------------------------------------------------------------------------------------


def test_tls_with_the_ca_bundle(tls_prometheus: RunningPrometheus, pki: dict[str, str]) -> None:
    assert tls_prometheus.url.startswith("https://")
    client = client_for(tls_prometheus.url, ca_bundle=pki["ca"])
    assert client.check() is None
    assert client.query("vector(1)")[0].value == 1


def test_tls_without_the_ca_bundle_is_a_clear_error(tls_prometheus: RunningPrometheus) -> None:
    client = client_for(tls_prometheus.url)
    with pytest.raises(PrometheusError) as caught:
        client.query("vector(1)")
    message = str(caught.value)
    assert message.startswith("TLS error talking to Prometheus: ")
    assert "certificate verify failed" in message
    assert client.check() == message


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_insecure_skip_verify_accepts_an_unknown_ca(tls_prometheus: RunningPrometheus) -> None:
    client = client_for(tls_prometheus.url, insecure_skip_verify=True)
    assert client.check() is None


# --- basic auth ------------------------------------------------------------------------------


def test_basic_auth_with_the_right_password(basic_auth_prometheus: RunningPrometheus) -> None:
    client = client_for(
        basic_auth_prometheus.url, type="basic", username=Secret("kiali"), password=Secret(PASSWORD)
    )
    assert client.check() is None


def test_basic_auth_password_is_read_from_a_file_at_use(
    basic_auth_prometheus: RunningPrometheus, tmp_path: Path
) -> None:
    password_file = tmp_path / "password"
    password_file.write_text("wrong\n")
    client = client_for(
        basic_auth_prometheus.url,
        type="basic",
        username=Secret("kiali"),
        password=Secret(str(password_file)),
    )
    assert client.check() is not None
    password_file.write_text(PASSWORD + "\n")  # a rotated secret, no restart
    assert client.check() is None


def test_basic_auth_with_a_wrong_password_says_401_without_the_password(
    basic_auth_prometheus: RunningPrometheus,
) -> None:
    wrong = "not-the-password-xyz"
    client = client_for(
        basic_auth_prometheus.url, type="basic", username=Secret("kiali"), password=Secret(wrong)
    )
    with pytest.raises(PrometheusError) as caught:
        client.query("vector(1)")
    message = str(caught.value)
    assert "refused the credentials (HTTP 401 Unauthorized)" in message
    assert wrong not in message and "kiali" not in message


def test_no_credentials_on_a_protected_prometheus(basic_auth_prometheus: RunningPrometheus) -> None:
    reason = client_for(basic_auth_prometheus.url).check()
    assert reason is not None and "requires authentication (HTTP 401" in reason


# --- bearer (through the checking proxy) -----------------------------------------------------


def test_bearer_token(bearer_proxy: BearerProxy) -> None:
    client = client_for(bearer_proxy.url, type="bearer", token=Secret(TOKEN))
    assert client.query("vector(1)")[0].value == 1
    wrong = client_for(bearer_proxy.url, type="bearer", token=Secret("other-token"))
    reason = wrong.check()
    assert reason is not None and "HTTP 401" in reason and "other-token" not in reason


def test_bearer_with_the_consoles_own_token(bearer_proxy: BearerProxy) -> None:
    client = client_for(
        bearer_proxy.url, type="bearer", use_kiali_token=True, kiali_token=lambda: TOKEN
    )
    assert client.check() is None
    assert bearer_proxy.seen_headers[-1]["Authorization"] == f"Bearer {TOKEN}"
    other = client_for(
        bearer_proxy.url, type="bearer", use_kiali_token=True, kiali_token=lambda: CONSOLE_TOKEN
    )
    assert other.check() is not None


def test_custom_headers_reach_the_server(bearer_proxy: BearerProxy) -> None:
    client = client_for(
        bearer_proxy.url,
        type="bearer",
        token=Secret(TOKEN),
        custom_headers={"X-Scope-OrgID": "tenant-a", "X-Custom": "1"},
    )
    client.query("vector(1)")
    headers = bearer_proxy.seen_headers[-1]
    assert headers["X-Scope-OrgID"] == "tenant-a"
    assert headers["X-Custom"] == "1"


def test_answers_are_asked_for_uncompressed_unless_configured(
    bearer_proxy: BearerProxy, prometheus_server: RunningPrometheus
) -> None:
    plain = client_for(bearer_proxy.url, type="bearer", token=Secret(TOKEN))
    assert plain.query("vector(1)")[0].value == 1
    assert bearer_proxy.seen_headers[-1]["Accept-Encoding"] == "identity"
    gzip = client_for(
        bearer_proxy.url,
        type="bearer",
        token=Secret(TOKEN),
        custom_headers={"accept-encoding": "gzip"},
    )
    assert gzip.query("vector(2)")[0].value == 2
    sent = {name.lower(): value for name, value in bearer_proxy.seen_headers[-1].items()}
    assert sent["accept-encoding"] == "gzip"
    # and Prometheus' gzipped answers read as well as plain ones
    direct = client_for(prometheus_server.url, custom_headers={"Accept-Encoding": "gzip"})
    pairs = direct.query_values("sum(istio_requests_total) by (reporter)", ("reporter",))
    assert {labels for labels, _ in pairs} == {("source",), ("destination",)}


# --- client certificates ---------------------------------------------------------------------


def test_client_certificate_required_and_given(
    mtls_prometheus: RunningPrometheus, pki: dict[str, str]
) -> None:
    client = client_for(
        mtls_prometheus.url,
        ca_bundle=pki["ca"],
        cert_file=Secret(pki["client_cert"]),
        key_file=Secret(pki["client_key"]),
    )
    assert client.check() is None


def test_client_certificate_required_and_missing(
    mtls_prometheus: RunningPrometheus, pki: dict[str, str]
) -> None:
    client = client_for(mtls_prometheus.url, ca_bundle=pki["ca"])
    with pytest.raises(PrometheusError, match=r"^TLS error talking to Prometheus: "):
        client.query("vector(1)")


@pytest.mark.django_db  # the registry reads administrators' clusters
@pytest.mark.xdist_group("clusters")
def test_a_client_certificate_in_a_secret_is_read_at_use_and_rotates_without_a_restart(
    mtls_prometheus: RunningPrometheus, pki: dict[str, str], east_cluster: Any, console_on: Any
) -> None:
    """cert_file: "secret:<name>:<key>" as Kiali's installs give it: a key of a Secret in
    the console's namespace, read through the API; replacing the Secret is enough."""
    import base64
    import time

    import kubernetes.client

    from mesh.kube.secrets import REUSE_SECONDS

    console_on(east_cluster, config={"deployment": {"namespace": "istio-system"}})
    stranger = trustme.CA().issue_cert("someone-else.test")  # a CA Prometheus does not trust

    def secret_of(cert: bytes, key: bytes) -> dict[str, Any]:
        data = {
            "tls.crt": base64.b64encode(cert).decode(),
            "tls.key": base64.b64encode(key).decode(),
        }
        return {"metadata": {"name": "prometheus-client"}, "data": data}

    wrong = secret_of(stranger.cert_chain_pems[0].bytes(), stranger.private_key_pem.bytes())
    right = secret_of(Path(pki["client_cert"]).read_bytes(), Path(pki["client_key"]).read_bytes())
    with east_cluster.api_client("admin") as admin:
        core = kubernetes.client.CoreV1Api(admin)
        core.create_namespaced_secret("istio-system", wrong)
        try:

            def client() -> PrometheusClient:
                return client_for(
                    mtls_prometheus.url,
                    ca_bundle=pki["ca"],
                    cert_file=Secret("secret:prometheus-client:tls.crt"),
                    key_file=Secret("secret:prometheus-client:tls.key"),
                )

            refused = client().check() or ""
            assert refused.startswith("TLS error talking to Prometheus"), refused
            core.replace_namespaced_secret("prometheus-client", "istio-system", right)
            time.sleep(REUSE_SECONDS + 0.5)
            assert client().check() is None  # the rotated Secret, without a restart
            assert "BEGIN" not in repr(client().config)  # the reference, never the content
        finally:
            core.delete_namespaced_secret(
                "prometheus-client", "istio-system", _preload_content=False
            )


# --- unreachable -----------------------------------------------------------------------------


def test_prometheus_down_is_connection_refused_and_its_address_goes_to_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    client = client_for(f"http://user:hunter2@127.0.0.1:{port}")
    with pytest.raises(PrometheusError) as caught:
        client.query("up")
    assert str(caught.value) == "connection refused by Prometheus"
    assert f"Prometheus at 127.0.0.1:{port}: connection refused" in caplog.text
    assert "hunter2" not in caplog.text
    assert "hunter2" not in client.check()  # type: ignore[operator]


def test_a_silent_prometheus_times_out(silent_server: str) -> None:
    client = client_for(silent_server, timeout=Duration(1))
    with pytest.raises(PrometheusError, match=r"did not answer within 1s"):
        client.query("up")


def test_one_deadline_bounds_all_of_a_clients_calls(silent_server: str) -> None:
    """Three calls on a silent Prometheus with 30 s per-call timeouts: together they fail
    within the one 1.5 s deadline, not 90 s."""
    config = PrometheusConfig(url=silent_server, timeout=Duration(30))
    client = PrometheusClient(config, deadline=Deadline.after(1.5), guarded=False)
    started = time.monotonic()
    for _ in range(3):
        with pytest.raises(PrometheusError, match=r"did not answer within 1.5s"):
            client.query("up")
    assert time.monotonic() - started < 5


def test_a_hung_prometheus_opens_the_breaker_and_later_calls_fail_at_once(
    silent_server: str,
) -> None:
    config = PrometheusConfig(url=silent_server, timeout=Duration(30))
    first = PrometheusClient(config, deadline=Deadline.after(2))
    with pytest.raises(PrometheusError) as caught:
        first.query("up")
    assert caught.value.outage is not None
    later = PrometheusClient(config, deadline=Deadline.after(10))
    started = time.monotonic()
    with pytest.raises(PrometheusError) as again:
        later.query("up")
    assert time.monotonic() - started < 0.1
    assert str(again.value).startswith("Prometheus: not answering since ")
    assert str(again.value).endswith("(Prometheus did not answer within 2s)")
    assert again.value.outage == caught.value.outage


def test_a_refused_query_is_not_an_outage(prometheus_server: RunningPrometheus) -> None:
    client = client_for(prometheus_server.url)
    with pytest.raises(PrometheusError) as caught:
        client.query("sum(")
    assert caught.value.outage is None
    assert client.check() is None


# --- settings --------------------------------------------------------------------------------


def test_settings_come_from_thanos_proxy_without_asking_prometheus() -> None:
    config = PrometheusConfig(
        url=f"http://127.0.0.1:{free_port()}",
        thanos_proxy=ThanosProxy(
            enabled=True, scrape_interval=Duration(300), retention_period=Duration(14 * 86400)
        ),
    )
    assert PrometheusClient(config).settings() == PrometheusSettings(300.0, 14 * 86400.0)


def test_settings_are_discovered_from_prometheus(prometheus_server: RunningPrometheus) -> None:
    settings = client_for(prometheus_server.url).settings()
    assert settings == PrometheusSettings(scrape_interval=1.0, retention_period=86400.0)


def test_settings_fall_back_to_upstream_defaults_when_unreachable() -> None:
    settings = client_for(f"http://127.0.0.1:{free_port()}").settings()
    assert settings == PrometheusSettings(15.0, 15 * 86400.0)


# --- history ---------------------------------------------------------------------------------


def test_history_backfilled_with_promtool_is_queryable(tmp_path: Path) -> None:
    now = time.time()
    exporter = TelemetryExporter(load_topology(DEMO_TOPOLOGY), started_at=now - 3600)
    history = exporter.openmetrics_history(now - 600, now, 30)
    data_dir = backfill(tmp_path, history)
    running = start_prometheus(tmp_path, [], retention="1d")
    try:
        assert data_dir == tmp_path / "data"
        series = client_for(running.url).query_range(
            'sum(rate(istio_requests_total{reporter="destination",destination_app="reviews"}[2m]))',
            now - 300,
            now,
            60,
        )
        assert len(series) == 1
        assert [round(v, 1) for _, v in series[0].points] == [6.0] * len(series[0].points)
    finally:
        running.stop()


# --- answers only a proxy in front of Prometheus gives (real HTTP, canned bodies) ------------


def test_a_failing_gateway_in_front_of_prometheus_gives_its_status(httpserver: Any) -> None:
    httpserver.expect_request("/api/v1/query").respond_with_data(
        "<html>Bad Gateway</html>", status=502, content_type="text/html"
    )
    with pytest.raises(PrometheusError) as caught:
        client_for(httpserver.url_for("/").rstrip("/")).query("up")
    assert str(caught.value).endswith("answered HTTP 502 BAD GATEWAY")


NOT_JSON = "{not json"
NOT_AN_ENVELOPE = '["success"]'
A_NUMBER_LABEL = (
    '{"status":"success","data":{"resultType":"vector","result":'
    '[{"metric":{"job":7},"value":[1,"1"]}]}}'
)


@pytest.mark.parametrize(
    ("reader", "body", "reason"),
    [
        ("query", NOT_JSON, "sent an answer that is not valid JSON"),
        ("query_values", NOT_JSON, "sent an answer that is not valid JSON"),
        ("query", NOT_AN_ENVELOPE, "sent an unexpected answer"),
        ("query_values", NOT_AN_ENVELOPE, "sent an unexpected answer"),
        ("query_values", A_NUMBER_LABEL, "unexpected answer (Expected `str | null`, got `int`"),
        ("label_reader", A_NUMBER_LABEL, "unexpected answer (Expected `str | null`, got `int`"),
    ],
)
def test_a_garbled_answer_is_a_clear_error(
    httpserver: Any, reader: str, body: str, reason: str
) -> None:
    httpserver.expect_request("/api/v1/query").respond_with_data(
        body, content_type="application/json"
    )
    client = client_for(httpserver.url_for("/").rstrip("/"))
    with pytest.raises(PrometheusError) as caught:
        if reader == "query":
            client.query("up")
        elif reader == "label_reader":  # the graph's way: label sets first, read later
            ((labels, _),) = client.query_label_sets("up")
            client.label_reader(("job",))(labels)
        else:
            client.query_values("up", ("job",))
    assert reason in str(caught.value)


def test_forbidden_is_a_clear_error(httpserver: Any) -> None:
    httpserver.expect_request("/api/v1/query").respond_with_data("Forbidden", status=403)
    client = client_for(httpserver.url_for("/").rstrip("/"), type="bearer", token=Secret(TOKEN))
    reason = client.check()
    assert reason is not None and reason.endswith("denied access (HTTP 403 Forbidden)")
    assert TOKEN not in reason


def test_oauth2_is_refused_clearly_rather_than_sent_without_credentials() -> None:
    client = client_for(f"http://127.0.0.1:{free_port()}", type="oauth2")
    assert client.check() == "auth type oauth2 is not supported by this console yet"
