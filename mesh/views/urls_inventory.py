"""Routes of the inventory pages (overview, namespaces, apps, workloads, services) and their API."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
