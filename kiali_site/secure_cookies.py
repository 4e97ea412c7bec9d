"""Session and CSRF cookies marked Secure whenever the request came over HTTPS.

Kiali's server.web_schema: https makes them Secure always (settings). Without it the console
may still be reached over HTTPS through a TLS-terminating proxy; gunicorn trusts that proxy's
X-Forwarded-Proto (forwarded_allow_ips), so request.is_secure() knows, and the cookies follow.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class SecureCookiesOverHttps:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.is_secure():
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                if name in response.cookies:
                    response.cookies[name]["secure"] = True
        return response
