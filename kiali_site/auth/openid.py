"""OpenID Connect login through mozilla-django-oidc, configured from the Kiali config.

The library brings the authorization-code flow with state, nonce and PKCE kept in the
session. Three things are ours: its settings come from `auth.openid` and the provider's
discovery document (so one YAML file configures everything, as in Kiali); the ID token is
checked for issuer and audience as well as signature (the library skips audience); and no
Django user row is made: the ID token itself is the user's credential for every cluster
whose API server trusts the issuer, so it goes into the console's session record.
"""

from __future__ import annotations

import hmac
import logging
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from kiali_site.auth.session import AuthSession, begin_session
from kiali_site.auth.tokens import fingerprint
from kiali_site.config import KialiConfig

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
FAILED = "openid"

_discovery_lock = threading.Lock()
_discovery: dict[str, dict[str, Any]] = {}


def tls_verify(insecure: bool = False) -> bool | str:
    """requests' `verify`: the extra CA bundle when one is configured (it must then hold
    every CA the console trusts), never off unless the operator said so."""
    if insecure:
        return False
    bundle: str = getattr(settings, "KIALI_CA_BUNDLE", "") or ""
    return bundle or True


def provider_metadata(config: KialiConfig) -> dict[str, Any]:
    """The discovery document, fetched once per process and issuer (upstream caches it for
    the process life too); the override wins when it names both main endpoints."""
    openid = config.auth.openid
    override = openid.discovery_override
    if override.authorization_endpoint and override.token_endpoint:
        return {
            "issuer": openid.issuer_uri.rstrip("/"),
            "authorization_endpoint": override.authorization_endpoint,
            "token_endpoint": override.token_endpoint,
            "jwks_uri": override.jwks_uri,
            "userinfo_endpoint": override.userinfo_endpoint,
            "end_session_endpoint": override.end_session_endpoint,
        }
    issuer = openid.issuer_uri.rstrip("/")
    with _discovery_lock:
        if issuer in _discovery:
            return _discovery[issuer]
        response = requests.get(
            f"{issuer}/.well-known/openid-configuration",
            timeout=TIMEOUT_SECONDS,
            verify=tls_verify(openid.insecure_skip_verify_tls),
        )
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        if document.get("issuer") != issuer:
            raise ImproperlyConfigured("the provider's discovery document names another issuer")
        if not document.get("authorization_endpoint"):
            raise ImproperlyConfigured("the provider publishes no authorization endpoint")
        if "code" not in document.get("response_types_supported", ["code"]):
            raise ImproperlyConfigured("the provider does not support the code flow")
        _discovery[issuer] = document
        return document


def forget_provider_metadata() -> None:
    with _discovery_lock:
        _discovery.clear()


def _scopes(config: KialiConfig) -> str:
    scopes = list(config.auth.openid.scopes)
    if "openid" not in scopes:
        scopes.insert(0, "openid")
    return " ".join(scopes)


def openid_setting(attr: str, *default: Any) -> Any:
    """The library's settings, answered from the Kiali config."""
    config: KialiConfig = settings.KIALI
    openid = config.auth.openid
    endpoints = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
        "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
        "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
        "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    }
    if attr in endpoints:
        if attr == "OIDC_OP_AUTHORIZATION_ENDPOINT" and openid_authorization_override(config):
            return openid_authorization_override(config)
        return provider_metadata(config).get(endpoints[attr]) or ""
    fixed: dict[str, Any] = {
        "OIDC_RP_CLIENT_ID": openid.client_id,
        "OIDC_RP_SIGN_ALGO": "RS256",
        "OIDC_RP_SCOPES": _scopes(config),
        "OIDC_USE_PKCE": True,
        "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
        "OIDC_USE_NONCE": True,
        "OIDC_VERIFY_SSL": tls_verify(openid.insecure_skip_verify_tls),
        "OIDC_TIMEOUT": TIMEOUT_SECONDS,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "openid_callback",
        "OIDC_AUTH_REQUEST_EXTRA_PARAMS": dict(openid.additional_request_params),
        "OIDC_STORE_ID_TOKEN": False,
        "OIDC_STORE_ACCESS_TOKEN": False,
    }
    if attr == "OIDC_RP_CLIENT_SECRET":
        return openid.client_secret.value()
    if attr == "OIDC_TOKEN_USE_BASIC_AUTH":
        return bool(openid.client_secret)
    if attr in fixed:
        return fixed[attr]
    return import_from_settings(attr, *default)


def openid_authorization_override(config: KialiConfig) -> str:
    return getattr(config.auth.openid, "authorization_endpoint", "") or ""


@dataclass
class OpenIdIdentity:
    """What a successful OpenID login yields; stands in for a Django user in the library's
    flow, which only needs `is_active` and an attribute to write the backend path to."""

    username: str
    id_token: str = field(repr=False)
    expires_on: float
    is_active: bool = True
    backend: str = ""
    pk: None = None


class OpenIdBackend(OIDCAuthenticationBackend):
    """Only answers the OpenID callback; any other authenticate() call passes through."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The parent reads every endpoint here; ours are looked up when first used, so a
        # console on another strategy never fetches a discovery document.
        pass

    get_settings = staticmethod(openid_setting)

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return str(openid_setting("OIDC_OP_TOKEN_ENDPOINT"))

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return str(openid_setting("OIDC_OP_JWKS_ENDPOINT"))

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:
        return str(openid_setting("OIDC_OP_USER_ENDPOINT"))

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(openid_setting("OIDC_RP_CLIENT_ID"))

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:
        return str(openid_setting("OIDC_RP_CLIENT_SECRET"))

    OIDC_RP_SIGN_ALGO = "RS256"
    OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> OpenIdIdentity | None:
        config: KialiConfig = settings.KIALI
        if request is None or config.auth.strategy != "openid" or "nonce" not in kwargs:
            return None
        try:
            identity: OpenIdIdentity | None = super().authenticate(request, **kwargs)
        except (requests.RequestException, SuspiciousOperation, jwt.PyJWTError, ValueError) as exc:
            # The detail is for the operator; the page only says the login failed.
            log.warning("OpenID login failed: %s: %s", type(exc).__name__, _redact(str(exc)))
            return None
        return identity

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """Signature, algorithm, issuer, audience, expiry and nonce, all required."""
        config: KialiConfig = settings.KIALI
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "RS256" or not header.get("kid"):
            raise SuspiciousOperation("ID token: unexpected algorithm or no key id")
        key = self.retrieve_matching_jwk(token)
        issuer = provider_metadata(config).get("issuer") or config.auth.openid.issuer_uri
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=config.auth.openid.client_id,
                issuer=issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"ID token rejected: {exc}") from None
        nonce = kwargs.get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(
            str(payload.get("nonce", "")), nonce
        ):
            raise SuspiciousOperation("ID token nonce does not match the login")
        return payload

    def store_tokens(self, access_token: str, id_token: str) -> None:
        """Tokens go into the console's own session record, nowhere else."""

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> OpenIdIdentity | None:
        config: KialiConfig = settings.KIALI
        openid = config.auth.openid
        username = payload.get(openid.username_claim)
        if not isinstance(username, str) or not username:
            log.warning("OpenID login refused: no %r claim in the ID token", openid.username_claim)
            return None
        if openid.allowed_domains:
            domain = payload.get("hd")
            if not isinstance(domain, str) or not domain:
                email = payload.get("email")
                domain = email.rpartition("@")[2] if isinstance(email, str) else ""
            if domain not in openid.allowed_domains:
                log.warning("OpenID login refused for %s: domain %r not allowed", username, domain)
                return None
        return OpenIdIdentity(username, id_token, float(payload["exp"]))

    def get_user(self, user_id: Any) -> None:
        return None


def _redact(text: str) -> str:
    """Error texts from the token endpoint never carry tokens, but cap them anyway."""
    return text[:300]


class OnlyForOpenId:
    """The provider's views exist only while the console logs in with OpenID; otherwise
    their settings are unset and the library would fail with a 500."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.KIALI.auth.strategy != "openid":
            raise Http404("This console does not log in with OpenID.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class OpenIdRedirect(OnlyForOpenId, OIDCAuthenticationRequestView):
    get_settings = staticmethod(openid_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    @property
    def OIDC_OP_AUTH_ENDPOINT(self) -> str:
        return str(openid_setting("OIDC_OP_AUTHORIZATION_ENDPOINT"))

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(openid_setting("OIDC_RP_CLIENT_ID"))


class OpenIdCallback(OnlyForOpenId, OIDCAuthenticationCallbackView):
    get_settings = staticmethod(openid_setting)

    @property
    def failure_url(self) -> str:
        return f"{reverse('login')}?{urlencode({'error': FAILED})}"

    def login_success(self) -> HttpResponse:
        identity: OpenIdIdentity = self.user
        next_url = self.success_url
        config: KialiConfig = settings.KIALI
        record = AuthSession(
            strategy="openid",
            username=identity.username,
            expires_on=identity.expires_on,
            shared_token="" if config.auth.openid.disable_rbac else identity.id_token,
        )
        if record.expired():
            return self.login_failure()
        begin_session(self.request, record)
        # Kept for the end-session hint only when RBAC is off (no token otherwise).
        self.request.session["kiali.openid.sub"] = identity.username
        log.info(
            "login: strategy=openid user=%s token=%s client=%s",
            identity.username,
            fingerprint(identity.id_token),
            self.request.META.get("REMOTE_ADDR", ""),
        )
        return HttpResponseRedirect(next_url)


def end_session_url(config: KialiConfig, post_logout_redirect: str) -> str:
    """RP-initiated logout at the provider, identified by client_id rather than an
    id_token_hint, so the ID token never travels in a URL (browser history, proxy logs)."""
    try:
        endpoint = str(provider_metadata(config).get("end_session_endpoint") or "")
    except (requests.RequestException, ImproperlyConfigured, ValueError):
        return ""
    if not endpoint.startswith(("https://", "http://")):
        return ""
    openid = config.auth.openid
    query = {
        "client_id": openid.client_id,
        "post_logout_redirect_uri": openid.post_logout_redirect_uri or post_logout_redirect,
    }
    return f"{endpoint}?{urlencode(query)}"
