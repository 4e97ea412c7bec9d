"""The scope a user chose follows them from page to page, always written in the URL."""

from __future__ import annotations

import pytest
from django.http import HttpResponse, QueryDict
from django.test import RequestFactory

from kiali_site.config import parse_config
from kiali_site.scope_memory import (
    SESSION_KEY,
    canonical_query,
    joined_namespaces,
    remembered_scope,
    scoped_page,
)


class Session(dict):
    modified = False


def page(query: str, session: Session, htmx: bool = False):
    request = RequestFactory().get(f"/workloads/?{query}")
    request.session = session
    request.htmx = htmx
    seen = {}

    @scoped_page("namespaces", "clusterName")
    def view(request):
        seen["query"] = request.GET.copy()
        return HttpResponse("page")

    return view(request), seen.get("query")


def test_namespaces_are_joined_once_each_in_their_order():
    assert joined_namespaces(["", "bookinfo", "sample,bookinfo", " x ,"]) == "bookinfo,sample,x"
    assert joined_namespaces([""]) == ""


def test_a_missing_key_is_filled_from_what_was_remembered():
    query = canonical_query(QueryDict("name=pro"), {"namespaces": "bookinfo"}, ["namespaces"])
    assert query.dict() == {"name": "pro", "namespaces": "bookinfo"}
    said = canonical_query(QueryDict("namespaces="), {"namespaces": "bookinfo"}, ["namespaces"])
    assert said.dict() == {"namespaces": ""}  # "none chosen" is a choice


def test_a_choice_made_on_one_page_is_where_the_next_page_starts():
    session = Session()
    response, seen = page("namespaces=bookinfo", session)
    assert response.status_code == 200 and seen["namespaces"] == "bookinfo"
    assert session[SESSION_KEY] == {"namespaces": "bookinfo"}
    response, _ = page("", session)
    assert response.status_code == 302
    assert response["Location"] == "/workloads/?namespaces=bookinfo"


def test_the_menus_many_parameters_become_one_in_the_address_bar():
    session = Session()
    response, _ = page("namespaces=&namespaces=bookinfo&namespaces=sample&name=x", session)
    assert response.status_code == 302
    assert response["Location"] == "/workloads/?namespaces=bookinfo,sample&name=x"
    assert session[SESSION_KEY]["namespaces"] == "bookinfo,sample"
    # an HTMX swap is answered at once, and told which URL to show
    response, seen = page("namespaces=&namespaces=sample", session, htmx=True)
    assert response.status_code == 200 and seen["namespaces"] == "sample"
    assert response["HX-Push-Url"] == "/workloads/?namespaces=sample"


def test_before_any_choice_the_configured_default_applies(settings):
    settings.KIALI = parse_config(
        "kiali_feature_flags:\n  ui_defaults:\n    namespaces: [bookinfo, sample]\n"
    )
    assert remembered_scope(type("R", (), {"session": Session()})()) == {
        "namespaces": "bookinfo,sample"
    }
    response, _ = page("", Session())
    assert response["Location"] == "/workloads/?namespaces=bookinfo,sample"


def test_only_scope_parameters_can_be_kept():
    with pytest.raises(ValueError, match="not scope parameters"):
        scoped_page("sort")
