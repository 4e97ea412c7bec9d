"""The console's own error answers: pages for people, JSON for the API, never a traceback.

Django's defaults already hide tracebacks when DEBUG is off, but answer the API's clients
with HTML. Kiali's clients read `{"error": "..."}` under /api/, so the same handlers answer
both ways. A 500 says nothing of what failed: the log has it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults

from mesh.outages import RETRY_AFTER

SERVER_ERROR = "the console failed to answer this request; the error was logged"


def api_error(message: str, status: int, retry_after: int = RETRY_AFTER) -> JsonResponse:
    """Kiali's error shape; a 503 (a dependency down or the console busy) says when to retry."""
    response = JsonResponse({"error": message}, status=status)
    if status == 503:
        response["Retry-After"] = str(retry_after)
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _message(exception: Exception | None, fallback: str) -> str:
    """Messages raised by the console's own views (Http404, PermissionDenied) name only
    what the caller already named; anything else gets the fallback."""
    if exception is not None and exception.args and isinstance(exception.args[0], str):
        return exception.args[0]
    return fallback


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """An unknown address raises the resolver's own 404, whose argument lists the URL
    patterns tried: it falls back to the plain message."""
    if _is_api(request):
        return JsonResponse({"error": _message(exception, "not found")}, status=404)
    message = _message(exception, "There is nothing at this address.")
    return render(request, "404.html", {"exception": message}, status=404)


def forbidden(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"error": _message(exception, "forbidden")}, status=403)
    message = _message(exception, "You may not see this.")
    return render(request, "403.html", {"exception": message}, status=403)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"error": "bad request"}, status=400)
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"error": SERVER_ERROR}, status=500)
    return defaults.server_error(request)
