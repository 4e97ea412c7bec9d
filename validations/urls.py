"""Routes of the Istio Config pages."""

from django.urls import path

from mesh.views.config_edit import istio_config_edit
from validations import views

urlpatterns = [
    path("istio/", views.istio_config_list, name="istio_config"),
    path(
        "istio/<str:cluster>/<str:namespace>/<str:kind>/<str:name>/",
        views.istio_config_detail,
        name="istio_config_detail",
    ),
    path(
        "istio/<str:cluster>/<str:namespace>/<str:kind>/<str:name>/edit/",
        istio_config_edit,
        name="istio_config_edit",
    ),
]
