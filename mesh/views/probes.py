"""Liveness and readiness for the deployment's probes; neither depends on remote clusters."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready when the database answers: pages need sessions, clusters may come and go."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return JsonResponse({"status": "not ready", "database": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ready", "database": "ok"})
