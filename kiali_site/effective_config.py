"""The console's effective configuration as a document a person can read (SH-08's "View
configuration"), with every credential replaced by what kind of value it is."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from kiali_site.config import KialiConfig, Secret

MASK = "<hidden>"


def _url_without_password(value: str) -> str:
    """A URL's user info may hold a password: keep the user name, hide the rest."""
    if "://" not in value or "@" not in value:
        return value
    parts = urlsplit(value)
    if parts.password is None:
        return value
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{MASK}@{host}"))


def _plain(value: Any) -> Any:
    if isinstance(value, Secret):
        return str(value) if value else ""  # Secret's str() never holds the value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return _url_without_password(str(value))
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):  # durations are float subclasses: plain numbers for YAML
        return float(value)
    if isinstance(value, int):
        return int(value)
    return str(value)


def effective_config_yaml(config: KialiConfig) -> str:
    return yaml.safe_dump(_plain(config), sort_keys=False, default_flow_style=False)
