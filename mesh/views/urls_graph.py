"""Routes of the traffic graph: its page, side panels and Kiali-compatible JSON API."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
