"""The login record kept in the server-side Django session.

Upstream keeps one encrypted cookie family per cluster; here the record lives in the
database session, so many large tokens never meet a cookie size limit and the browser only
ever holds an opaque session id. The record names the strategy that wrote it: a record left
over from another strategy (the operator switched strategies) is dropped, never trusted.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from django.http import HttpRequest

SESSION_KEY = "kiali.auth"
OAUTH_STATE_KEY = "kiali.oauth"


@dataclass
class ClusterToken:
    token: str = field(repr=False)
    expires_on: float
    username: str = ""


@dataclass
class AuthSession:
    strategy: str
    username: str
    expires_on: float
    # Per-cluster credentials (openshift: one per cluster logged into; token: home only).
    tokens: dict[str, ClusterToken] = field(default_factory=dict)
    # OpenID: one ID token that every cluster trusting the issuer accepts.
    shared_token: str = field(default="", repr=False)

    def expired(self, now: float | None = None) -> bool:
        return (now or time.time()) >= self.expires_on

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuthSession:
        tokens = {name: ClusterToken(**value) for name, value in data.get("tokens", {}).items()}
        return cls(
            strategy=str(data["strategy"]),
            username=str(data["username"]),
            expires_on=float(data["expires_on"]),
            tokens=tokens,
            shared_token=str(data.get("shared_token", "")),
        )


def read_session(request: HttpRequest, strategy: str) -> AuthSession | None:
    """The live record of this strategy, or None (and the stale record is removed)."""
    raw = request.session.get(SESSION_KEY)
    if not isinstance(raw, dict):
        return None
    try:
        record = AuthSession.from_dict(raw)
    except (KeyError, TypeError, ValueError):
        record = None
    if record is None or record.strategy != strategy or record.expired():
        request.session.pop(SESSION_KEY, None)
        return None
    return record


def begin_session(request: HttpRequest, record: AuthSession) -> None:
    """A new session id at every login, so a session id planted before login is worthless;
    the session ends with the credential it holds."""
    pending = request.session.get(OAUTH_STATE_KEY)
    request.session.cycle_key()
    request.session[SESSION_KEY] = record.to_dict()
    if pending:
        request.session[OAUTH_STATE_KEY] = pending
    request.session.set_expiry(max(1, int(record.expires_on - time.time())))


def save_session(request: HttpRequest, record: AuthSession) -> None:
    request.session[SESSION_KEY] = record.to_dict()


def end_session(request: HttpRequest) -> None:
    """Everything goes: the record, pending logins, and the session id itself."""
    request.session.flush()
