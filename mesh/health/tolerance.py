"""Error tolerances: configured rules, Kiali's default entry, and the per-entity annotation.

The regex rules (X for a digit, anchors added without grouping, invalid patterns matching
everything) are Kiali's, kept exactly because users' existing configurations rely on them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kiali_site.config import HealthConfig, RateRule, ToleranceConfig
from mesh.inventory.model import HEALTH_ANNOTATION

log = logging.getLogger(__name__)

MATCH_ALL = re.compile(r"^.*$")


def compile_pattern(pattern: str, *, is_code: bool = False) -> re.Pattern[str]:
    text = pattern or ".*"
    if is_code:
        text = text.replace("X", r"\d").replace("x", r"\d")
    if not text.startswith("^"):
        text = "^" + text
    if not text.endswith("$"):
        text = text + "$"
    try:
        return re.compile(text)
    except re.error:
        log.warning("invalid health tolerance pattern %r: matching everything", pattern)
        return MATCH_ALL


@dataclass(frozen=True)
class Tolerance:
    code: re.Pattern[str]
    protocol: re.Pattern[str]
    direction: re.Pattern[str]
    degraded: float
    failure: float

    @classmethod
    def of(cls, config: ToleranceConfig) -> Tolerance:
        return cls(
            code=compile_pattern(config.code, is_code=True),
            protocol=compile_pattern(config.protocol),
            direction=compile_pattern(config.direction),
            degraded=config.degraded,
            failure=config.failure,
        )


@dataclass(frozen=True)
class Rule:
    namespace: re.Pattern[str]
    kind: re.Pattern[str]
    name: re.Pattern[str]
    tolerances: tuple[Tolerance, ...]

    def matches(self, namespace: str, kind: str, name: str) -> bool:
        return bool(
            self.namespace.search(namespace) and self.kind.search(kind) and self.name.search(name)
        )


DEFAULT_RULE = RateRule(
    namespace=".*",
    kind=".*",
    name=".*",
    tolerance=[
        ToleranceConfig(code="5XX", protocol="http", direction=".*", degraded=0, failure=10),
        ToleranceConfig(code="4XX", protocol="http", direction=".*", degraded=10, failure=20),
        ToleranceConfig(
            code=r"^[1-9]$|^1[0-6]$", protocol="grpc", direction=".*", degraded=0, failure=10
        ),
        ToleranceConfig(code="^-$", protocol="http|grpc", direction=".*", degraded=0, failure=10),
    ],
)


def compile_rules(config: HealthConfig) -> tuple[Rule, ...]:
    """The user's rules first, Kiali's default entry always last as the fallback."""
    return tuple(
        Rule(
            namespace=compile_pattern(r.namespace),
            kind=compile_pattern(r.kind),
            name=compile_pattern(r.name),
            tolerances=tuple(Tolerance.of(t) for t in r.tolerance),
        )
        for r in [*config.rate, DEFAULT_RULE]
    )


def parse_annotation(value: str) -> tuple[Tolerance, ...]:
    """`code,degraded,failure,protocol,direction;...`; bad entries are dropped with a warning."""
    found = []
    for entry in value.split(";"):
        parts = entry.split(",")
        if len(parts) != 5:
            log.warning("ignoring %s entry %r: expected 5 fields", HEALTH_ANNOTATION, entry)
            continue
        code, degraded_text, failure_text, protocol, direction = (p.strip() for p in parts)
        try:
            degraded, failure = float(degraded_text), float(failure_text)
        except ValueError:
            log.warning("ignoring %s entry %r: bad numbers", HEALTH_ANNOTATION, entry)
            continue
        if degraded > failure:
            log.warning("ignoring %s entry %r: degraded above failure", HEALTH_ANNOTATION, entry)
            continue
        found.append(Tolerance.of(ToleranceConfig(code, protocol, direction, degraded, failure)))
    return tuple(found)


def tolerances_for(
    rules: Sequence[Rule],
    namespace: str,
    kind: str,
    name: str,
    annotations: Mapping[str, str] | None = None,
) -> tuple[Tolerance, ...]:
    """Annotation override if valid, else the first matching rule, else the last rule."""
    if annotations and annotations.get(HEALTH_ANNOTATION):
        override = parse_annotation(annotations[HEALTH_ANNOTATION])
        if override:
            return override
    for rule in rules:
        if rule.matches(namespace, kind, name):
            return rule.tolerances
    return rules[-1].tolerances if rules else ()
