"""Typed readers for the deployment's own settings, which come from the environment.

The console's behaviour lives in the Kiali-layout YAML file (kiali_site.config); these are
only what a deployment decides: secrets, database, broker, cache, debug and hosts. A bad
value stops start-up with a message naming the variable.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlparse


class EnvError(Exception):
    """An environment variable with a value the console cannot use."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise EnvError(f"{name}: expected true or false, got {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str, base_dir: str) -> dict[str, object]:
    """DATABASE_URL to Django's DATABASES entry: sqlite:///path or postgres://user:pw@host/db."""
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(base_dir, "db.sqlite3"),
        }
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path) or ":memory:"
        if parsed.netloc:  # sqlite://relative/path
            path = parsed.netloc + path
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    if parsed.scheme in ("postgres", "postgresql", "pgsql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
        }
    raise EnvError(
        f"DATABASE_URL: unsupported scheme {parsed.scheme!r}; use sqlite:///path or postgres://…"
    )
