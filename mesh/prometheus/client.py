"""The console's Prometheus client: every way of reaching Prometheus, one kind of failure.

Pages show "metrics unavailable: <reason>" instead of failing, so every failure (refused
connection, timeout, TLS, 401/403/5xx, a Prometheus `status: error` body) becomes one
PrometheusError whose message is short, names the cause an operator can act on, and never
contains a credential or the URL's user part.

Credentials are read from the configuration at each request, so rotated secret files are
picked up without a restart, as upstream does.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import msgspec
import requests
import urllib3.exceptions
import yaml
from requests.adapters import HTTPAdapter

from kiali_site.config import ConfigError, Duration, PrometheusConfig, Secret, ServiceAuth
from mesh.deadline import Deadline
from mesh.outages import Outage, prometheus_breaker
from mesh.own_metrics import PROMETHEUS_ERRORS, PROMETHEUS_SECONDS, timed
from mesh.prometheus.promql import label_name

log = logging.getLogger(__name__)

DEFAULT_SCRAPE_INTERVAL = 15.0  # upstream's value when Prometheus cannot tell
DEFAULT_RETENTION = 15 * 86400.0


class PrometheusError(Exception):
    """Prometheus could not answer; str() is a short reason fit to show on a page. It never
    names Prometheus' address, which is infrastructure most users may not see (the Mesh page
    shows it to those who may read the control plane); the log has it.

    `outage` is set when Prometheus is down (not answering, refusing connections, failing
    with 5xx) rather than refusing this one query: callers answer 503 with Retry-After."""

    def __init__(self, message: str, outage: Outage | None = None) -> None:
        super().__init__(message)
        self.outage = outage


class _Down(PrometheusError):
    """Raised inside the client for failures that mean Prometheus is down."""


CONNECT_TIMEOUT = 5.0  # seconds; a Prometheus that accepts no connection in this is down
PROBE_TIMEOUT = 5.0
MIN_TIMEOUT_EVIDENCE = 1.0  # seconds of silence that show Prometheus is down


class Sample(NamedTuple):
    """One element of an instant vector. A named tuple, not a dataclass: a graph decodes
    tens of thousands of them per request, and a tuple is several times cheaper to make."""

    labels: dict[str, str]
    value: float
    timestamp: float = 0.0


LabelValues = tuple[str | None, ...]  # the values of some label names, None where absent


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    points: list[tuple[float, float]]


@dataclass(frozen=True)
class PrometheusSettings:
    scrape_interval: float  # seconds
    retention_period: float  # seconds


class _Data(msgspec.Struct, gc=False):
    resultType: str
    result: msgspec.Raw  # decoded once its type is known


class _Envelope(msgspec.Struct, gc=False):
    """Prometheus' API answer, with `data` left undecoded until its result type is read."""

    status: str = ""
    data: _Data | None = None
    errorType: str = ""  # Prometheus' field name
    error: str = ""


_ENVELOPE_DECODER = msgspec.json.Decoder(_Envelope)


@functools.lru_cache(maxsize=16)  # a handful of label sets, fixed in code
def _label_reader(names: tuple[str, ...]) -> Callable[[bytes], LabelValues]:
    """Reads the values of `names` (None when absent) from one series' labels as
    query_label_sets gives them. Label fields are named l0, l1...: label names need not be
    Python identifiers (`class` is a valid one)."""
    labels = msgspec.defstruct(
        "Labels",
        [(f"l{i}", str | None, None) for i in range(len(names))],
        rename={f"l{i}": name for i, name in enumerate(names)},
        gc=False,
    )
    decode = msgspec.json.Decoder(labels).decode
    astuple = msgspec.structs.astuple

    def read(raw: bytes) -> LabelValues:
        return astuple(decode(raw))

    return read


class _RawItem(msgspec.Struct, gc=False):
    """An instant vector's element, its labels left as the bytes Prometheus wrote."""

    metric: msgspec.Raw
    value: tuple[float, float]


class _RawItemText(msgspec.Struct, gc=False):
    metric: msgspec.Raw
    value: tuple[float, str]


class _RawVectorData(msgspec.Struct, gc=False):
    resultType: str
    result: list[_RawItem]


# _Envelope's fields, with `data` decoded instead of left raw, sample values read as numbers
# (not strict: they are strings in the JSON). It fails on anything else, and on "+Inf",
# which msgspec does not read as a number: the careful path then says what was wrong.
_RawVectorEnvelope = msgspec.defstruct(
    "RawVectorEnvelope",
    [
        (f.name, _RawVectorData | None if f.name == "data" else f.type, f.default)
        for f in msgspec.structs.fields(_Envelope)
    ],
    gc=False,
)
_RAW_VECTOR_DECODER = msgspec.json.Decoder(_RawVectorEnvelope, strict=False)
_RAW_ITEMS_DECODER = msgspec.json.Decoder(list[_RawItemText])


def _raw_vector_loads(body: bytes) -> Any:
    """The body's envelope: decoded with the vector in one pass when it holds one that
    reads plainly, else with `data.result` left raw for the careful path."""
    try:
        return _RAW_VECTOR_DECODER.decode(body)
    except msgspec.ValidationError:
        return _ENVELOPE_DECODER.decode(body)


class _ServiceAuth(requests.auth.AuthBase):
    """Sets Authorization per request, reading secrets (or the console's token) at use."""

    def __init__(self, auth: ServiceAuth, kiali_token: Callable[[], str] | None) -> None:
        self._auth = auth
        self._kiali_token = kiali_token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        auth = self._auth
        if auth.type == "oauth2":
            # The typed configuration has no oauth2 block yet; sending nothing would only
            # turn into a puzzling 401 later.
            raise PrometheusError("auth type oauth2 is not supported by this console yet")
        if auth.type == "basic":
            basic = requests.auth.HTTPBasicAuth(auth.username.value(), auth.password.value())
            return basic(request)
        if auth.type == "bearer":
            if auth.use_kiali_token:
                if self._kiali_token is None:
                    raise PrometheusError("use_kiali_token is set but no console token is known")
                token = self._kiali_token()
            else:
                token = auth.token.value()
            request.headers["Authorization"] = f"Bearer {token.strip()}"
        return request


class _TrustAdapter(HTTPAdapter):
    """Verifies servers against the system store plus an extra CA bundle, as one pool."""

    def __init__(self, ca_bundle: str) -> None:
        self._context = ssl.create_default_context()
        self._context.load_verify_locations(cafile=ca_bundle)
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)


def _file_of(secret: Secret) -> str:
    """Certificate and key settings are paths; a non-absolute literal is taken as a path too."""
    return secret.path or secret.value()


class _DeadlineSpent(Exception):
    """The request's deadline ran out before this call could start."""


def _seconds(value: datetime | float) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """Walk the nested errors requests and urllib3 wrap around the real one."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nested in (
            getattr(current, "reason", None),
            current.__cause__,
            current.__context__,
            *current.args,
        ):
            if isinstance(nested, BaseException):
                stack.append(nested)


def _tls_reason(exc: BaseException) -> str | None:
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"certificate verify failed ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            return (
                str(cause.reason or cause.strerror or "handshake failed").lower().replace("_", " ")
            )
    return None


def _is_timeout(exc: BaseException) -> bool:
    return any(
        isinstance(c, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError)
        for c in _causes(exc)
    )


def _is_refused(exc: BaseException) -> bool:
    return any(isinstance(c, ConnectionRefusedError) for c in _causes(exc)) or any(
        "Connection refused" in str(c) for c in _causes(exc) if isinstance(c, OSError)
    )


# What a request may ask of Prometheus' time axis. Beyond these, Python's clock conversions
# raise (OverflowError, OSError) instead of answering, so a page would fail with a 500.
LATEST_QUERY_TIME = 253402300799  # 9999-12-31T23:59:59Z
LONGEST_DURATION = 10 * 366 * 86400  # ten years: longer than any Prometheus keeps


def parse_duration(text: str) -> float:
    """A Prometheus duration ("15s", "1m30s", "7d") in seconds; ValueError when malformed."""
    return float(Duration.parse(text.strip()))


class PrometheusClient:
    """Queries one Prometheus (or Thanos querier) over one pooled HTTP session.

    `kiali_token` supplies the console's own service-account token for
    `auth.use_kiali_token`; `ca_bundle` is the extra CA file trusted beside the system's.
    `deadline` bounds all the client's calls together (one request's Prometheus work);
    without one, each call is bounded by the configured timeout alone.
    """

    def __init__(
        self,
        config: PrometheusConfig,
        *,
        kiali_token: Callable[[], str] | None = None,
        ca_bundle: str | None = None,
        deadline: Deadline | None = None,
        guarded: bool = True,
    ) -> None:
        self.config = config
        self._kiali_token = kiali_token
        self._ca_bundle = ca_bundle
        self._deadline = deadline
        self._last_read_timeout: float | None = None  # the read timeout of the last call
        self._base = config.url.rstrip("/")
        # Unguarded clients (the recovery probe) neither consult nor open the breaker.
        self._breaker = prometheus_breaker(self._base) if guarded else None
        parts = urlsplit(self._base)
        host = parts.hostname or ""
        self._where = f"{host}:{parts.port}" if parts.port else host
        self._timeout = float(config.timeout) if config.timeout > 0 else None
        session = requests.Session()
        # Answers uncompressed: Prometheus gzips them otherwise, which on a graph's megabytes
        # of vectors costs it a fifth of its CPU and the console more to undo than the bytes
        # take to cross a cluster's network. Behind a slow link, custom_headers can ask for
        # gzip again ("Accept-Encoding": "gzip"), as they override this.
        session.headers["Accept-Encoding"] = "identity"
        session.headers.update(config.custom_headers)
        session.auth = _ServiceAuth(config.auth, kiali_token)
        if config.auth.insecure_skip_verify:
            session.verify = False
        elif ca_bundle:
            session.mount("https://", _TrustAdapter(ca_bundle))
        self._session = session

    def close(self) -> None:
        self._session.close()

    # --- HTTP ---------------------------------------------------------------------------

    def _client_cert(self) -> tuple[str, str] | None:
        auth = self.config.auth
        if auth.cert_file and auth.key_file:
            return (_file_of(auth.cert_file), _file_of(auth.key_file))
        return None

    def _call(
        self,
        path: str,
        params: Mapping[str, Any] | Sequence[tuple[str, str]],
        *,
        post: bool = True,
        loads: Callable[[bytes], Any] = msgspec.json.decode,
    ) -> Any:
        """Send the request; queries go by POST first (long PromQL), like Prometheus' Go client.
        `loads` turns a JSON body into the envelope (a dict, or a struct with its fields)."""
        url = f"{self._base}{path}"
        if self._breaker is not None:
            outage = self._breaker.outage
            if outage is not None:  # known down: no thread waits on it again
                PROMETHEUS_ERRORS.labels(path).inc()
                raise PrometheusError(outage.message, outage)
        try:
            with timed(PROMETHEUS_SECONDS, path):
                response = self._send("POST" if post else "GET", url, params)
                if post and response.status_code == 405:
                    response.close()
                    response = self._send("GET", url, params)
                with response:
                    result = self._decode(response, loads)
        except _Down as exc:
            PROMETHEUS_ERRORS.labels(path).inc()
            log.warning("Prometheus at %s: %s", self._where, exc)
            raise self._down(str(exc)) from None
        except PrometheusError as exc:
            PROMETHEUS_ERRORS.labels(path).inc()
            log.warning("Prometheus at %s: %s", self._where, exc)
            raise
        except ConfigError as exc:
            PROMETHEUS_ERRORS.labels(path).inc()
            raise PrometheusError(f"Prometheus credentials unusable: {exc}") from None
        except Exception as exc:  # requests, urllib3 and ssl errors, all wrapped differently
            PROMETHEUS_ERRORS.labels(path).inc()
            reason = self._reason(exc)
            log.warning("Prometheus at %s: %s", self._where, reason)
            if self._is_down(exc, self._last_read_timeout):
                raise self._down(reason) from None
            raise PrometheusError(reason) from None
        if self._breaker is not None:
            self._breaker.succeeded()
        return result

    def _is_down(self, exc: BaseException, allowed: float | None) -> bool:
        """No answer at all. A TLS failure is an answer: a setting to fix (a CA, a client
        certificate), which the next request, perhaps with a rotated certificate, must try.
        A request that ran out of its own time (its deadline spent before the call, or cut
        to less than MIN_TIMEOUT_EVIDENCE) shows nothing about Prometheus."""
        if _tls_reason(exc) or isinstance(exc, _DeadlineSpent):
            return False
        if _is_timeout(exc) or isinstance(exc, requests.Timeout):
            return allowed is None or allowed >= MIN_TIMEOUT_EVIDENCE
        return isinstance(exc, requests.ConnectionError) or _is_refused(exc)

    def _down(self, reason: str) -> PrometheusError:
        """The error for a Prometheus found down; the breaker opens on it."""
        if self._breaker is None:
            return PrometheusError(reason)
        outage = self._breaker.failed(reason, self._probe_factory())
        return PrometheusError(reason, outage)

    def _probe_factory(self) -> Callable[[], None]:
        config, token, bundle = self.config, self._kiali_token, self._ca_bundle

        def probe() -> None:
            client = PrometheusClient(
                config,
                kiali_token=token,
                ca_bundle=bundle,
                deadline=Deadline.after(PROBE_TIMEOUT),
                guarded=False,
            )
            try:
                problem = client.check()
            finally:
                client.close()
            if problem:
                raise PrometheusError(problem)

        return probe

    def _send(
        self, method: str, url: str, params: Mapping[str, Any] | Sequence[tuple[str, str]]
    ) -> requests.Response:
        kwargs: dict[str, Any] = {
            "timeout": self._call_timeout(),
            "stream": True,
            "cert": self._client_cert(),
            # Explicit, or REQUESTS_CA_BUNDLE in the environment would undo insecure_skip_verify.
            "verify": not self.config.auth.insecure_skip_verify,
        }
        if method == "POST":
            kwargs["data"] = params
        else:
            kwargs["params"] = params
        return self._session.request(method, url, **kwargs)

    def _call_timeout(self) -> tuple[float, float] | float | None:
        """(connect, read) for the next call: the configured timeout, cut to what is left of
        the deadline. A read timeout bounds each wait for bytes, so a Prometheus that stops
        answering (frozen, overloaded) fails the call when the deadline runs out."""
        deadline = self._deadline
        if deadline is None:
            self._last_read_timeout = self._timeout
            return self._timeout
        left = deadline.remaining()
        if left <= 0:
            raise _DeadlineSpent()
        read = min(left, self._timeout) if self._timeout else left
        self._last_read_timeout = read
        return (min(read, CONNECT_TIMEOUT), read)

    def _reason(self, exc: BaseException) -> str:
        tls = _tls_reason(exc)
        if tls:
            return f"TLS error talking to Prometheus: {tls}"
        # Before timeouts: urllib3 files a refused connection under its connect timeouts.
        if _is_refused(exc):
            return "connection refused by Prometheus"
        if isinstance(exc, _DeadlineSpent) or (self._deadline is not None and _is_timeout(exc)):
            budget = self._deadline.budget if self._deadline else 0.0
            return f"Prometheus did not answer within {budget:g}s"
        if _is_timeout(exc):
            return f"Prometheus did not answer within {self._timeout:g}s"
        if isinstance(exc, requests.ConnectionError):
            return "cannot connect to Prometheus"
        if isinstance(exc, msgspec.ValidationError):
            return f"Prometheus sent an unexpected answer ({str(exc)[:200]})"
        if isinstance(exc, ValueError | json.JSONDecodeError):
            return "Prometheus sent an answer that is not valid JSON"
        return f"request to Prometheus failed ({type(exc).__name__})"

    def _decode(self, response: requests.Response, loads: Callable[[bytes], Any]) -> Any:
        status = response.status_code
        if status == 401:
            what = (
                "refused the credentials"
                if self.config.auth.type != "none"
                else ("requires authentication")
            )
            raise PrometheusError(f"Prometheus {what} (HTTP 401 Unauthorized)")
        if status == 403:
            raise PrometheusError("Prometheus denied access (HTTP 403 Forbidden)")
        body: Any = None
        if "json" in response.headers.get("Content-Type", ""):
            # msgspec: a graph's answers are megabytes, and their decoding is a large share of
            # its time (about twice as fast as the standard library on Prometheus vectors).
            # One read of the whole body: `response.content` gathers it 10 kB at a time,
            # which on a graph's twelve half-megabyte answers costs a fifth of the HTTP work.
            body = loads(response.raw.read(decode_content=True))
            if isinstance(body, msgspec.Struct):  # an envelope
                body = msgspec.structs.asdict(body)
        if isinstance(body, dict) and body.get("status") == "error":
            detail = f"{body.get('errorType', 'error')}: {body.get('error', '')}".strip()
            raise PrometheusError(f"Prometheus could not run the query: {detail[:300]}")
        if status >= 400:
            reason = f"HTTP {status} {response.reason or ''}".strip()
            error = _Down if status in (502, 503, 504) else PrometheusError
            raise error(f"Prometheus answered {reason}")
        if not isinstance(body, dict) or "data" not in body:
            raise PrometheusError("Prometheus sent an unexpected answer")
        return body["data"]

    # --- API -----------------------------------------------------------------------------

    def _query_params(self, params: dict[str, str]) -> dict[str, str]:
        """Prometheus is told the time left too, so it stops working on an abandoned query."""
        timeout = self._timeout
        if self._deadline is not None:
            left = max(self._deadline.remaining(), 0.001)
            timeout = min(left, timeout) if timeout else left
        if timeout:
            params["timeout"] = f"{timeout:.3f}"  # a bare number is seconds to Prometheus
        return params

    def query(self, promql: str, at: datetime | None = None) -> list[Sample]:
        """An instant vector (a scalar answer comes back as one sample without labels)."""
        if not self.config.enabled:
            return []
        params = {"query": promql}
        if at is not None:
            params["time"] = repr(_seconds(at))
        data = self._call("/api/v1/query", self._query_params(params))
        kind, result = data.get("resultType"), data.get("result")
        if kind in ("scalar", "string"):
            return [Sample({}, float(result[1]), float(result[0]))]
        if kind != "vector":
            raise PrometheusError(f"expected an instant vector, Prometheus returned a {kind}")
        return [
            Sample(item.get("metric", {}), float(item["value"][1]), float(item["value"][0]))
            for item in result
        ]

    def query_label_sets(
        self, promql: str, at: datetime | None = None
    ) -> list[tuple[bytes, float]]:
        """An instant vector as (its labels as Prometheus wrote them, value) pairs.

        A graph reads a fixed set of labels from tens of thousands of series, half of them
        the same series again (both reporters'). As bytes, a label set is hashed once and
        compared with one memcmp, and only the sets not seen before need decoding
        (label_reader); decoded first, each of its values is a new string whose hash is
        computed again for every lookup. Prometheus writes a label set's labels sorted
        and in one encoding, so equal label sets are equal bytes.
        """
        if not self.config.enabled:
            return []
        params = {"query": promql}
        if at is not None:
            params["time"] = repr(_seconds(at))
        data = self._call("/api/v1/query", self._query_params(params), loads=_raw_vector_loads)
        if data is None or data.resultType != "vector":
            kind = "nothing" if data is None else f"a {data.resultType}"
            raise PrometheusError(f"expected an instant vector, Prometheus returned {kind}")
        if not isinstance(data.result, msgspec.Raw):
            return [(bytes(item.metric), item.value[1]) for item in data.result]
        try:
            items = _RAW_ITEMS_DECODER.decode(data.result)
        except msgspec.ValidationError as exc:
            raise PrometheusError(self._reason(exc)) from None
        return [(bytes(item.metric), float(item.value[1])) for item in items]

    def label_reader(self, names: tuple[str, ...]) -> Callable[[bytes], LabelValues]:
        """The values of `names` in a label set from query_label_sets (None where absent);
        a label set that is not one fails as any unexpected answer does."""
        read = _label_reader(names)

        def checked(labels: bytes) -> LabelValues:
            try:
                return read(labels)
            except msgspec.ValidationError as exc:
                raise PrometheusError(self._reason(exc)) from None

        return checked

    def query_values(
        self, promql: str, names: tuple[str, ...], at: datetime | None = None
    ) -> list[tuple[LabelValues, float]]:
        """An instant vector as (values of `names`, value) pairs; labels not named are
        skipped, absent ones read as None."""
        read = self.label_reader(names)
        return [(read(labels), value) for labels, value in self.query_label_sets(promql, at)]

    def query_range(
        self,
        promql: str,
        start: datetime | float,
        end: datetime | float,
        step: timedelta | float,
    ) -> list[Series]:
        if not self.config.enabled:
            return []
        step_seconds = step.total_seconds() if isinstance(step, timedelta) else float(step)
        params = {
            "query": promql,
            "start": repr(_seconds(start)),
            "end": repr(_seconds(end)),
            "step": f"{step_seconds:g}",
        }
        data = self._call("/api/v1/query_range", self._query_params(params))
        if data.get("resultType") != "matrix":
            raise PrometheusError(
                f"expected a range result, Prometheus returned a {data.get('resultType')}"
            )
        return [
            Series(item.get("metric", {}), [(float(t), float(v)) for t, v in item["values"]])
            for item in data["result"]
        ]

    def label_values(self, label: str, match: Sequence[str] = ()) -> list[str]:
        if not self.config.enabled:
            return []
        params = [("match[]", selector) for selector in match]
        data = self._call(f"/api/v1/label/{label_name(label)}/values", params, post=False)
        return [str(v) for v in data]

    def settings(self) -> PrometheusSettings:
        """Scrape interval and retention, as upstream learns them (spec: metrics.md 6.3)."""
        thanos = self.config.thanos_proxy
        if thanos.enabled:
            return PrometheusSettings(float(thanos.scrape_interval), float(thanos.retention_period))
        scrape, retention = DEFAULT_SCRAPE_INTERVAL, DEFAULT_RETENTION
        if not self.config.enabled:
            return PrometheusSettings(scrape, retention)
        try:
            document = yaml.safe_load(
                self._call("/api/v1/status/config", {}, post=False).get("yaml", "")
            )
            scrape = parse_duration(str(document["global"]["scrape_interval"]))
        except (PrometheusError, ValueError, KeyError, TypeError, yaml.YAMLError):
            pass
        try:
            raw = str(self._call("/api/v1/status/runtimeinfo", {}, post=False)["storageRetention"])
            first = raw.split(" ")[0]
            if "b" not in first.lower():  # "10GiB" alone is a size limit, not a duration
                retention = parse_duration(first)
        except (PrometheusError, ValueError, KeyError, TypeError):
            pass
        return PrometheusSettings(scrape, retention)

    def version(self) -> str:
        """Prometheus' own version, from its build information."""
        data = self._call("/api/v1/status/buildinfo", {}, post=False)
        return str(data.get("version", "")) if isinstance(data, dict) else ""

    def check(self) -> str | None:
        """None when Prometheus answers a trivial query, else the reason it cannot."""
        if not self.config.enabled:
            return "Prometheus is disabled in the configuration"
        try:
            samples = self.query("vector(1)")
        except PrometheusError as exc:
            return str(exc)
        if len(samples) != 1 or math.isnan(samples[0].value):
            return "Prometheus answered a test query with an unexpected result"
        return None
