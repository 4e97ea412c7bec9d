"""Routes of the inventory pages (overview, namespaces, apps, workloads, services) and their API."""

from django.urls import URLPattern, path

from mesh.api import inventory as api
from mesh.views import detail, insights, namespace_actions, wizards
from mesh.views import inventory as pages

urlpatterns: list[URLPattern] = [
    path("overview/", pages.overview_page, name="overview"),
    path("overview/insights/", insights.overview_insights, name="overview_insights"),
    path("namespaces/", pages.namespaces_page, name="namespaces"),
    path("namespaces/<str:namespace>/", pages.namespace_page, name="namespace"),
    path(
        "namespaces/<str:namespace>/injection/",
        namespace_actions.injection_action,
        name="namespace_injection",
    ),
    path("applications/", pages.applications_page, name="applications"),
    path("workloads/", pages.workloads_page, name="workloads"),
    path("services/", pages.services_page, name="services"),
    path("api/namespaces", api.namespaces, name="api-namespaces"),
    path("api/clusters/apps", api.cluster_apps, name="api-cluster-apps"),
    path("api/clusters/workloads", api.cluster_workloads, name="api-cluster-workloads"),
    path("api/clusters/services", api.cluster_services, name="api-cluster-services"),
    path("api/clusters/health", api.cluster_health, name="api-cluster-health"),
    path(
        "api/namespaces/<str:namespace>/workloads/<str:workload>",
        api.workload_detail,
        name="api-workload",
    ),
    path(
        "applications/<str:cluster>/<str:namespace>/<str:name>/",
        detail.app_detail,
        name="app_detail",
    ),
    path(
        "workloads/<str:cluster>/<str:namespace>/<str:name>/",
        detail.workload_detail,
        name="workload_detail",
    ),
    path(
        "services/<str:cluster>/<str:namespace>/<str:name>/",
        detail.service_detail,
        name="service_detail",
    ),
    path(
        "services/<str:cluster>/<str:namespace>/<str:name>/wizards/<str:wizard>/",
        wizards.service_wizard_page,
        name="service_wizard",
    ),
]
