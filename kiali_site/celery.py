"""The Celery app: broker from CELERY_BROKER_URL, schedule from settings, results to the cache."""

from __future__ import annotations

import os
import time
from typing import Any

from celery import Celery
from celery.signals import task_failure, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiali_site.settings")

app = Celery("kiali_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Durations and failures of every task, in the worker's own metrics. mesh.own_metrics is
# imported when a task runs, not here: this module loads with the package (gunicorn's config
# too), and prometheus_client must load after PROMETHEUS_MULTIPROC_DIR is set.
_started: dict[str, float] = {}
# A task run eagerly inside a request is not bound by the request's deadline.
_deadlines: dict[str, Any] = {}


@task_prerun.connect(weak=False)
def _task_started(task_id: str = "", **_: object) -> None:
    from mesh.deadline import suspend_kube_deadline

    _started[task_id] = time.perf_counter()
    _deadlines[task_id] = suspend_kube_deadline()


@task_postrun.connect(weak=False)
def _task_done(task_id: str = "", task: object = None, **_: object) -> None:
    from mesh.deadline import resume_kube_deadline
    from mesh.own_metrics import TASK_SECONDS

    token = _deadlines.pop(task_id, None)
    if token is not None:
        resume_kube_deadline(token)
    began = _started.pop(task_id, None)
    if began is not None:
        TASK_SECONDS.labels(getattr(task, "name", "unknown")).observe(time.perf_counter() - began)


@task_failure.connect(weak=False)
def _task_failed(sender: object = None, **_: object) -> None:
    from mesh.own_metrics import TASK_FAILURES

    TASK_FAILURES.labels(getattr(sender, "name", "unknown")).inc()
