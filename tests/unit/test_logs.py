"""Log lines carry the request's id; LOG_FORMAT=json writes one JSON object a line."""

from __future__ import annotations

import json
import logging

from django.http import HttpResponse
from django.test import RequestFactory

from kiali_site.logs import JsonLines, RequestIds, WithRequestId


def _line_logged_during(request) -> tuple[dict, HttpResponse]:
    lines: list[str] = []

    def view(_request):
        record = logging.LogRecord(
            "mesh.test", logging.WARNING, __file__, 1, "read %s", ("x",), None
        )
        WithRequestId().filter(record)
        lines.append(JsonLines().format(record))
        return HttpResponse("ok")

    response = RequestIds(view)(request)
    return json.loads(lines[0]), response


def test_a_proxys_request_id_is_kept_and_echoed():
    request = RequestFactory().get("/overview/", headers={"X-Request-Id": "abc-123"})
    line, response = _line_logged_during(request)
    assert line["request_id"] == "abc-123" and response["X-Request-Id"] == "abc-123"
    assert (line["level"], line["logger"], line["message"]) == ("WARNING", "mesh.test", "read x")


def test_a_request_without_one_or_with_a_strange_one_gets_a_new_id():
    fresh, response = _line_logged_during(RequestFactory().get("/"))
    assert len(fresh["request_id"]) == 32 and response["X-Request-Id"] == fresh["request_id"]
    odd = RequestFactory().get("/", headers={"X-Request-Id": "<script>\n"})
    line, _ = _line_logged_during(odd)
    assert line["request_id"] != "<script>\n" and len(line["request_id"]) == 32


def test_outside_a_request_the_id_is_a_dash():
    record = logging.LogRecord("celery", logging.INFO, __file__, 1, "task done", (), None)
    WithRequestId().filter(record)
    assert json.loads(JsonLines().format(record))["request_id"] == "-"
