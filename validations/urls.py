"""Routes of the Istio Config pages and the validation API."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
