"""The WSGI entry point the production server loads (gunicorn, kiali_site/gunicorn_conf.py)."""

import os
import sys

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
