"""The site's routes plus the metrics routes, until kiali_site/urls.py includes them."""

from django.urls import include, path

urlpatterns = [
    path("", include("mesh.views.urls_metrics")),
    path("", include("kiali_site.urls")),
]
