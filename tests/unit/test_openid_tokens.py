"""The ID token checks the library leaves out: audience, issuer, expiry, nonce, algorithm."""

from __future__ import annotations

import json
import time

import jwt
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import SuspiciousOperation

from kiali_site.auth.openid import OpenIdBackend, forget_provider_metadata
from kiali_site.config import parse_config

KID = "test-key"


@pytest.fixture
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def issuer(httpserver, signing_key, settings):
    base = httpserver.url_for("/").rstrip("/")
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
    httpserver.expect_request("/.well-known/openid-configuration").respond_with_json(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/auth",
            "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
        }
    )
    httpserver.expect_request("/jwks").respond_with_json(
        {"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]}
    )
    document = {
        "auth": {"strategy": "openid", "openid": {"client_id": "kiali", "issuer_uri": base}}
    }
    settings.KIALI = parse_config(yaml.safe_dump(document))
    forget_provider_metadata()
    yield base
    forget_provider_metadata()


def id_token(key, issuer, **overrides):
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": "kiali",
        "sub": "bob",
        "iat": now,
        "exp": now + 300,
        "nonce": "n-1",
        **overrides,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


def test_a_token_for_this_client_passes(issuer, signing_key):
    payload = OpenIdBackend().verify_token(id_token(signing_key, issuer), nonce="n-1")
    assert payload["sub"] == "bob"


def test_an_audience_list_including_this_client_passes(issuer, signing_key):
    token = id_token(signing_key, issuer, aud=["other-app", "kiali"])
    assert OpenIdBackend().verify_token(token, nonce="n-1")["sub"] == "bob"


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "other-app"},
        {"aud": []},
        {"iss": "https://elsewhere.example"},
        {"exp": int(time.time()) - 10},
        {"nonce": "n-2"},
        {"nonce": None},
        {"exp": None},
    ],
    ids=[
        "wrong-audience",
        "empty-audience",
        "wrong-issuer",
        "expired",
        "wrong-nonce",
        "no-nonce",
        "no-exp",
    ],
)
def test_a_token_failing_a_check_is_refused(issuer, signing_key, overrides):
    with pytest.raises(SuspiciousOperation):
        OpenIdBackend().verify_token(id_token(signing_key, issuer, **overrides), nonce="n-1")


def test_a_token_signed_by_another_key_is_refused(issuer):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(SuspiciousOperation):
        OpenIdBackend().verify_token(id_token(other, issuer), nonce="n-1")


def test_a_symmetric_token_is_refused(issuer):
    token = jwt.encode(
        {"iss": issuer, "aud": "kiali", "sub": "bob", "exp": int(time.time()) + 60},
        "a-shared-secret-of-sufficient-length-x",
        algorithm="HS256",
        headers={"kid": KID},
    )
    with pytest.raises(SuspiciousOperation):
        OpenIdBackend().verify_token(token, nonce="n-1")


def test_allowed_domains_and_the_username_claim(issuer, settings):
    document = {
        "auth": {
            "strategy": "openid",
            "openid": {
                "client_id": "kiali",
                "issuer_uri": issuer,
                "username_claim": "email",
                "allowed_domains": ["example.com"],
            },
        }
    }
    settings.KIALI = parse_config(yaml.safe_dump(document))
    backend = OpenIdBackend()
    ok = backend.get_or_create_user("", "t", {"email": "bob@example.com", "exp": 1e12})
    assert ok is not None and ok.username == "bob@example.com"
    assert backend.get_or_create_user("", "t", {"email": "eve@evil.example", "exp": 1e12}) is None
    assert backend.get_or_create_user("", "t", {"sub": "no-email", "exp": 1e12}) is None
