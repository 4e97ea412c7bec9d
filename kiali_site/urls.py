from django.contrib import admin
from django.urls import include, path
from django.views.generic.base import RedirectView

from kiali_site.own_metrics_http import metrics
from mesh.views import about, mesh, probes

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="overview", permanent=False)),
    path("mesh/", mesh.mesh_page, name="mesh"),
    path("about/", about.about_page, name="about"),
    path("about/config/", about.config_page, name="about_config"),
    path("", include("mesh.views.urls_inventory")),
    path("", include("mesh.views.urls_graph")),
    path("", include("mesh.views.urls_metrics")),
    path("", include("validations.urls")),
    path("", include("kiali_site.auth.urls")),
    path("healthz", probes.healthz, name="healthz"),
    path("readyz", probes.readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
]

handler400 = "kiali_site.errors.bad_request"
handler403 = "kiali_site.errors.forbidden"
handler404 = "kiali_site.errors.not_found"
handler500 = "kiali_site.errors.server_error"
