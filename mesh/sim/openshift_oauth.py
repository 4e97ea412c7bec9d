"""A stand-in for one OpenShift cluster's OAuth server, on loopback, over HTTPS.

It answers the way OpenShift does where the console looks: the RFC 8414 metadata at
`/.well-known/oauth-authorization-server`, `/oauth/authorize` (a login form, as with an
htpasswd identity provider) redirecting back with `code` and `state`, `/oauth/token` (code
flow; PKCE checked when a challenge was sent; one use per code; OAuth error bodies),
`/apis/user.openshift.io/v1/users/~` and the deletion of an `OAuthAccessToken` named
`sha256~<base64url(sha256(token))>`. Access tokens look like OpenShift's (`sha256~...`).

The API server learns about these tokens the way OpenShift's kube-apiserver does: through a
token webhook (`--authentication-token-webhook-config-file`) that asks this server's
TokenReview endpoint, so a deleted or expired token is refused by the cluster itself.
`webhook_kubeconfig()` writes that file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import yaml

CODE_SECONDS = 300
OAUTH_GROUP = "system:authenticated:oauth"


@dataclass
class OAuthUser:
    password: str = field(repr=False)
    groups: tuple[str, ...] = ()


@dataclass
class OAuthClient:
    secret: str = field(repr=False)
    redirect_uris: tuple[str, ...] = ()
    token_max_age: int = 86400


@dataclass
class _Grant:
    client_id: str
    user: str
    redirect_uri: str
    challenge: str
    method: str
    expires: float


@dataclass
class _Token:
    user: str
    expires: float


def token_object_name(token: str) -> str:
    raw = token.removeprefix("sha256~")
    digest = hashlib.sha256(raw.encode()).digest()
    return "sha256~" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class OpenShiftOAuthServer:
    """One cluster's OAuth server. `start()` binds 127.0.0.1 and returns the base URL."""

    def __init__(
        self,
        cluster: str,
        users: dict[str, OAuthUser],
        clients: dict[str, OAuthClient],
        *,
        cert_file: Path,
        key_file: Path,
    ) -> None:
        self.cluster = cluster
        self.users = users
        self.clients = clients
        self._cert_file = cert_file
        self._key_file = key_file
        self._codes: dict[str, _Grant] = {}
        self._tokens: dict[str, _Token] = {}  # object name -> token record
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # --- lifecycle ------------------------------------------------------------------------

    def start(self, port: int = 0) -> str:
        handler = _handler_for(self)
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self._cert_file), str(self._key_file))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self.url = f"https://127.0.0.1:{server.server_address[1]}"
        threading.Thread(
            target=server.serve_forever, daemon=True, name=f"oauth-{self.cluster}"
        ).start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def webhook_kubeconfig(self, path: Path, ca_file: Path) -> Path:
        """The file for kube-apiserver's --authentication-token-webhook-config-file."""
        document = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "oauth",
                    "cluster": {
                        "server": f"{self.url}/apis/authentication.k8s.io/v1/tokenreviews",
                        "certificate-authority": str(ca_file),
                    },
                }
            ],
            "users": [{"name": "apiserver", "user": {}}],
            "contexts": [{"name": "webhook", "context": {"cluster": "oauth", "user": "apiserver"}}],
            "current-context": "webhook",
        }
        path.write_text(yaml.safe_dump(document))
        return path

    # --- tokens ---------------------------------------------------------------------------

    def issue_token(self, user: str, max_age: int) -> str:
        token = "sha256~" + secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token_object_name(token)] = _Token(user, time.time() + max_age)
        return token

    def owner_of(self, token: str) -> str | None:
        with self._lock:
            record = self._tokens.get(token_object_name(token))
        if record is None or record.expires <= time.time():
            return None
        return record.user

    def revoke(self, token: str) -> bool:
        with self._lock:
            return self._tokens.pop(token_object_name(token), None) is not None

    def expire(self, token: str) -> None:
        """For tests: the token reaches its max age now."""
        with self._lock:
            record = self._tokens.get(token_object_name(token))
            if record is not None:
                record.expires = time.time() - 1

    # --- the code flow --------------------------------------------------------------------

    def authorize(self, query: dict[str, str], username: str, password: str) -> tuple[int, str]:
        """(status, Location or error text) for a submitted login form."""
        client = self.clients.get(query.get("client_id", ""))
        redirect_uri = query.get("redirect_uri", "")
        if client is None or redirect_uri not in client.redirect_uris:
            return 400, "The client is not registered, or the redirect URI is not one of its own."
        user = self.users.get(username)
        if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
            return 401, "Invalid login or password. Please try again."
        if query.get("response_type") != "code":
            return 302, _with_query(redirect_uri, error="unsupported_response_type", state=query)
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = _Grant(
                client_id=query["client_id"],
                user=username,
                redirect_uri=redirect_uri,
                challenge=query.get("code_challenge", ""),
                method=query.get("code_challenge_method", "plain"),
                expires=time.time() + CODE_SECONDS,
            )
        return 302, _with_query(redirect_uri, code=code, state=query)

    def exchange(
        self, form: dict[str, str], basic: tuple[str, str] | None
    ) -> tuple[int, dict[str, Any]]:
        client_id, secret = (
            basic if basic else (form.get("client_id", ""), form.get("client_secret", ""))
        )
        client = self.clients.get(client_id)
        if client is None or not hmac.compare_digest(client.secret.encode(), secret.encode()):
            return 401, {
                "error": "unauthorized_client",
                "error_description": "The client is not authorized.",
            }
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # one use, even when refused
        invalid = {
            "error": "invalid_grant",
            "error_description": (
                "The provided authorization grant is invalid, expired, revoked, does not match"
                " the redirection URI used in the authorization request, or was issued to"
                " another client."
            ),
        }
        if grant is None or grant.expires <= time.time() or grant.client_id != client_id:
            return 400, invalid
        if grant.redirect_uri != form.get("redirect_uri", ""):
            return 400, invalid
        if grant.challenge:
            verifier = form.get("code_verifier", "")
            if grant.method == "S256":
                digest = hashlib.sha256(verifier.encode()).digest()
                computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            else:
                computed = verifier
            if not verifier or not hmac.compare_digest(computed.encode(), grant.challenge.encode()):
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "code_verifier does not match the code_challenge",
                }
        token = self.issue_token(grant.user, client.token_max_age)
        return 200, {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": client.token_max_age,
            "scope": "user:full",
        }

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/oauth/authorize",
            "token_endpoint": f"{self.url}/oauth/token",
            "scopes_supported": [
                "user:check-access",
                "user:full",
                "user:info",
                "user:list-projects",
                "user:list-scoped-projects",
            ],
            "response_types_supported": ["code", "token"],
            "grant_types_supported": ["authorization_code", "implicit"],
            "code_challenge_methods_supported": ["plain", "S256"],
        }


def _with_query(uri: str, *, state: dict[str, str], **params: str) -> str:
    values = dict(params)
    if state.get("state"):
        values["state"] = state["state"]
    separator = "&" if "?" in uri else "?"
    return f"{uri}{separator}{urlencode(values)}"


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def _handler_for(oauth: OpenShiftOAuthServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "oauth-server"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: request lines carry codes and states."""

        def _send(
            self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, document: dict[str, Any]) -> None:
            self._send(status, json.dumps(document).encode(), "application/json")

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

        def _bearer_owner(self) -> tuple[str, str] | None:
            scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
            if scheme.lower() != "bearer" or not token:
                return None
            owner = oauth.owner_of(token.strip())
            return (owner, token.strip()) if owner else None

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/oauth-authorization-server":
                return self._json(200, oauth.metadata())
            if url.path == "/oauth/authorize":
                return self._login_form(query, "")
            if url.path == "/apis/user.openshift.io/v1/users/~":
                found = self._bearer_owner()
                if found is None:
                    return self._json(401, _status(401, "Unauthorized", "Unauthorized"))
                name = found[0]
                return self._json(
                    200,
                    {
                        "kind": "User",
                        "apiVersion": "user.openshift.io/v1",
                        "metadata": {
                            "name": name,
                            "uid": hashlib.sha256(name.encode()).hexdigest()[:32],
                        },
                        "identities": [f"htpasswd:{name}"],
                        "groups": list(oauth.users[name].groups),
                    },
                )
            return self._json(
                404, _status(404, "NotFound", "the server could not find the requested resource")
            )

        def _login_form(self, query: dict[str, str], error: str) -> None:
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in query.items()
            )
            notice = f'<p id="error">{html.escape(error)}</p>' if error else ""
            page = (
                "<!doctype html><html><head><meta charset='utf-8'>"
                "<title>Log in to your account</title></head><body>"
                f"<h1>Log in to {html.escape(oauth.cluster)}</h1>{notice}"
                '<form method="post" action="/login">'
                f"{hidden}"
                '<label>Username <input name="username" id="inputUsername" required></label>'
                '<label>Password <input name="password" id="inputPassword" type="password"'
                " required></label>"
                '<button type="submit" id="log-in">Log in</button></form></body></html>'
            )
            self._send(200 if not error else 401, page.encode(), "text/html; charset=utf-8")

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/login":
                form = self._form()
                username, password = form.pop("username", ""), form.pop("password", "")
                status, result = oauth.authorize(form, username, password)
                if status == 302:
                    return self._send(302, b"", "text/plain", {"Location": result})
                if status == 401:
                    return self._login_form(form, result)
                return self._send(status, result.encode(), "text/plain")
            if url.path == "/oauth/token":
                basic = None
                scheme, _, value = (self.headers.get("Authorization") or "").partition(" ")
                if scheme.lower() == "basic":
                    user, _, secret = base64.b64decode(value).decode().partition(":")
                    basic = (user, secret)
                status, document = oauth.exchange(self._form(), basic)
                return self._json(status, document)
            if url.path == "/apis/authentication.k8s.io/v1/tokenreviews":
                length = int(self.headers.get("Content-Length") or 0)
                review = json.loads(self.rfile.read(length) or b"{}")
                token = (review.get("spec") or {}).get("token", "")
                owner = oauth.owner_of(token)
                verdict: dict[str, Any] = {"authenticated": False}
                if owner:
                    groups = [*oauth.users[owner].groups, OAUTH_GROUP]
                    verdict = {
                        "authenticated": True,
                        "user": {"username": owner, "uid": owner, "groups": groups},
                    }
                return self._json(
                    200,
                    {
                        "apiVersion": review.get("apiVersion", "authentication.k8s.io/v1"),
                        "kind": "TokenReview",
                        "status": verdict,
                    },
                )
            return self._json(
                404, _status(404, "NotFound", "the server could not find the requested resource")
            )

        def do_DELETE(self) -> None:
            url = urlsplit(self.path)
            prefix = "/apis/oauth.openshift.io/v1/oauthaccesstokens/"
            if not url.path.startswith(prefix):
                return self._json(
                    404,
                    _status(404, "NotFound", "the server could not find the requested resource"),
                )
            found = self._bearer_owner()
            if found is None:
                return self._json(401, _status(401, "Unauthorized", "Unauthorized"))
            name = url.path[len(prefix) :]
            owner, token = found
            if token_object_name(token) != name:
                return self._json(
                    403,
                    _status(
                        403,
                        "Forbidden",
                        f'oauthaccesstokens.oauth.openshift.io "{name}" is forbidden: '
                        f'User "{owner}" cannot delete it',
                    ),
                )
            oauth.revoke(token)
            return self._json(
                200,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "metadata": {},
                    "status": "Success",
                    "details": {
                        "name": name,
                        "group": "oauth.openshift.io",
                        "kind": "oauthaccesstokens",
                    },
                },
            )

    return Handler
