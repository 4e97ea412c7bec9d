"""The WSGI entry point the production server loads (gunicorn, kiali_site/gunicorn_conf.py)."""

import os
import sys
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiali_site.settings")
application = get_wsgi_application()


def _refuse_development_key() -> None:
    """Sessions and CSRF tokens are signed with SECRET_KEY: served with the key everyone can
    read in this repository, anyone could forge a session. Development (DEBUG) may use it."""
    from django.conf import settings

    if settings.DEBUG or settings.SECRET_KEY != settings.DEVELOPMENT_SECRET_KEY:
        return
    sys.stderr.write(
        "configuration error: SECRET_KEY is not set; give the console a long random key "
        "(for example from a Kubernetes Secret) or set DEBUG=1 for development\n"
    )
    sys.stderr.flush()
    raise SystemExit(2)


_refuse_development_key()


def _under_web_root(app: Any, root: str) -> Any:
    """Kiali's server.web_root (/kiali): a request under it reaches the console with the root
    moved from its path to SCRIPT_NAME, where Django expects it (FORCE_SCRIPT_NAME puts it
    back on every URL it makes); anything else is not the console's, and says so."""

    def serve(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == root or path.startswith(root + "/"):
            environ["SCRIPT_NAME"] = root
            environ["PATH_INFO"] = path[len(root) :] or "/"
            return app(environ, start_response)
        body = f"Not found: the console is served under {root}/\n".encode()
        start_response(
            "404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return serve


def _with_web_root(app: Any) -> Any:
    from django.conf import settings

    return _under_web_root(app, settings.WEB_ROOT) if settings.WEB_ROOT else app


application = _with_web_root(application)
