"""The Celery app: broker from CELERY_BROKER_URL, schedule from settings, results to the cache."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiali_site.settings")

app = Celery("kiali_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
