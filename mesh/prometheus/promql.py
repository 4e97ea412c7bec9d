"""Building PromQL label selectors safely.

Label values often come from a request (a namespace, a workload name), so they are always
written as escaped string literals, never pasted; label and metric names cannot be escaped
at all, so invalid ones are refused. Every selector passes through `selector()` with the
configured `query_scope`, so no query can forget the scope.

Scope labels come first, right after `{`: that is where Kiali's graph puts them (it rewrites
every `{` to `{k="v",`), and builders that need Kiali's metrics-page order (reporter first)
can pass the reporter in `labels` and the scope through `scope_after`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_NOT_LABEL_CHAR = re.compile(r"[^a-zA-Z0-9_]")
_REGEX_SPECIAL = re.compile(r"([.^$*+?()\[\]{}|\\])")

OPERATORS = ("=", "!=", "=~", "!~")


def escape(value: str) -> str:
    """The value as a double-quoted PromQL string literal (Go escaping rules)."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def regex_literal(value: str) -> str:
    """A value matched literally inside a regex matcher (e.g. a name in `a|b|c`)."""
    return _REGEX_SPECIAL.sub(r"\\\1", value)


def any_of(values: Iterable[str]) -> str:
    """An RE2 alternation matching exactly one of the values, for `=~` matchers."""
    return "|".join(regex_literal(v) for v in values)


def label_name(name: str) -> str:
    if not _LABEL_NAME.match(name):
        raise ValueError(f"not a valid Prometheus label name: {name!r}")
    return name


def scope_label_name(name: str) -> str:
    """Kiali replaces invalid characters in configured scope names with `_` instead of failing."""
    return label_name(_NOT_LABEL_CHAR.sub("_", name))


def matcher(name: str, op: str, value: str) -> str:
    if op not in OPERATORS:
        raise ValueError(f"not a PromQL label matcher operator: {op!r}")
    return f"{label_name(name)}{op}{escape(value)}"


def scope_matchers(scope: Mapping[str, str]) -> list[str]:
    return [f"{scope_label_name(k)}={escape(v)}" for k, v in scope.items()]


def selector(
    metric: str,
    labels: Mapping[str, str] | None = None,
    *,
    regex_labels: Mapping[str, str] | None = None,
    not_regex_labels: Mapping[str, str] | None = None,
    scope: Mapping[str, str] | None = None,
    scope_after: int = 0,
) -> str:
    """`metric{scope..., labels..., regex_labels...}`; metric may be "" for a bare `{...}`.

    `scope_after` places the scope after that many of `labels` (1 puts it after a leading
    reporter, as Kiali's metrics pages do). A scope entry repeated exactly in `labels` is
    written once.
    """
    if metric and not _METRIC_NAME.match(metric):
        raise ValueError(f"not a valid Prometheus metric name: {metric!r}")
    equal = [matcher(k, "=", v) for k, v in (labels or {}).items()]
    scoped = [m for m in scope_matchers(scope or {}) if m not in equal]
    matchers = equal[:scope_after] + scoped + equal[scope_after:]
    matchers += [matcher(k, "=~", v) for k, v in (regex_labels or {}).items()]
    matchers += [matcher(k, "!~", v) for k, v in (not_regex_labels or {}).items()]
    if not matchers and not metric:
        raise ValueError("a selector needs a metric name or at least one label matcher")
    return f"{metric}{{{','.join(matchers)}}}"
