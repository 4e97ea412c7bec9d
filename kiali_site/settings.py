"""Django settings: deployment values from the environment, console behaviour from KIALI_CONFIG."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kiali_site.config import ConfigError, load_config
from kiali_site.env import EnvError, database_from_url, env_bool, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

try:
    KIALI = load_config(env_str("KIALI_CONFIG"))
    DEBUG = env_bool("DEBUG", False)
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
    DATABASES = {"default": database_from_url(env_str("DATABASE_URL"), str(BASE_DIR))}
except (ConfigError, EnvError) as exc:
    # One line naming the file and key, not a traceback through Django's settings loader.
    sys.stderr.write(f"configuration error: {exc}\n")
    raise SystemExit(2) from None

# Extra trusted CAs (Kiali's kiali-cabundle ConfigMap, additional-ca-bundle.pem) for
# Prometheus, tracing, Grafana and the identity providers. deploy/ mounts the ConfigMap as
# optional, so a bundle that is not there means only the system's CAs.
KIALI_CA_BUNDLE = env_str("KIALI_CA_BUNDLE")
if KIALI_CA_BUNDLE and not Path(KIALI_CA_BUNDLE).is_file():
    KIALI_CA_BUNDLE = ""

DEVELOPMENT_SECRET_KEY = "insecure-development-key-set-SECRET_KEY-in-production"
# Refused by the production server (kiali_site/wsgi.py) unless DEBUG is on.
SECRET_KEY = env_str("SECRET_KEY") or DEVELOPMENT_SECRET_KEY

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "csp",
    "mesh",
    "validations",
]

MIDDLEWARE = [
    "kiali_site.logs.RequestIds",
    "kiali_site.own_metrics_http.RequestTimings",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before the session and CSRF middleware, so it sees the cookies they set.
    "kiali_site.secure_cookies.SecureCookiesOverHttps",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Before the mesh context: its credential check reads the home cluster within the
    # request's deadline.
    "kiali_site.budgets.RequestBudgets",
    "kiali_site.context.MeshContextMiddleware",
]

ROOT_URLCONF = "kiali_site.urls"

# The OpenID backend answers only the OpenID callback; the model backend serves the admin.
AUTHENTICATION_BACKENDS = [
    "kiali_site.auth.openid.OpenIdBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
WSGI_APPLICATION = "kiali_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kiali_site.context.console",
            ],
            # Every page declares its HTMX fragments with partialdef; no per-template load.
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# Tokens per cluster live in the server-side session, so many large tokens never meet a
# cookie size limit; Lax because the cross-site login redirect must carry the cookie back.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Always Secure when Kiali's server.web_schema says the console is served over HTTPS;
# otherwise per request (kiali_site/secure_cookies.py).
SESSION_COOKIE_SECURE = (
    env_bool("SESSION_COOKIE_SECURE", False) or KIALI.server.web_schema == "https"
)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# No inline script anywhere: every script is a static file, data for it goes through
# json_script (not executed). Style sheets come from the console only; style attributes are
# allowed because cytoscape and uPlot write them on the elements they create (an attribute
# cannot run script). The console is never framed (frame-ancestors, and X-Frame-Options
# DENY for older browsers).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Kiali's server.web_root (usually /kiali behind a shared ingress): every URL the console
# makes carries it; gunicorn takes it off incoming paths (SCRIPT_NAME, gunicorn_conf.py).
WEB_ROOT = KIALI.server.web_root.rstrip("/")
FORCE_SCRIPT_NAME = WEB_ROOT or None
SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = f"{WEB_ROOT}/"

# Absolute, with the web root: whitenoise and the static storage read it once at start-up,
# before any request has set Django's script prefix.
STATIC_URL = f"{WEB_ROOT}/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or "pytest" in sys.modules
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True

REDIS_URL = env_str("REDIS_URL")
CACHES: dict[str, dict[str, object]]
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Health is one entry per namespace (and a stamp beside it): LocMem's default of 300
    # entries would evict a big mesh's health between two requests.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# Without a broker, tasks run in-process so a single `runserver` is a complete console.
# Without one, Celery would default to AMQP on localhost: an eager app still opens a producer
# pool on `.delay()`, and it must never reach whatever broker happens to listen there.
CELERY_TASK_ALWAYS_EAGER = not env_str("CELERY_BROKER_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "memory://"
CELERY_TASK_IGNORE_RESULT = True
# Task modules outside the apps' tasks.py, which autodiscovery alone would not import.
CELERY_IMPORTS = ("mesh.health.tasks", "mesh.inventory.tasks", "validations.tasks")
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "refresh-cluster-registry": {
        "task": "mesh.tasks.refresh_clusters",
        "schedule": float(KIALI.kubernetes_config.cache_duration),
    },
    "refresh-inventory-snapshots": {
        "task": "mesh.inventory.tasks.refresh_snapshots",
        "schedule": float(KIALI.kubernetes_config.cache_duration),
    },
    "refresh-health": {
        "task": "mesh.health.tasks.refresh_health",
        "schedule": float(KIALI.health_config.compute.refresh_interval),
        "options": {"soft_time_limit": float(KIALI.health_config.compute.timeout)},
    },
}
if KIALI.external_services.istio.validation_reconcile_interval > 0:  # 0 turns validation off
    CELERY_BEAT_SCHEDULE["validate-clusters"] = {
        "task": "validations.tasks.validate_clusters",
        "schedule": float(KIALI.external_services.istio.validation_reconcile_interval),
    }

# LOG_FORMAT=json: one JSON object a line (kiali_site/logs.py); either way each line carries
# the request's id.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "kiali_site.logs.WithRequestId"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {"()": "kiali_site.logs.JsonLines"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if env_str("LOG_FORMAT") == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"kubernetes": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}
