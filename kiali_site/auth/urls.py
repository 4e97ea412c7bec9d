from django.urls import path

from kiali_site.auth import openid, views

urlpatterns = [
    path("login/", views.login_page, name="login"),
    path("logout/", views.logout, name="logout"),
    path("api/authenticate", views.authenticate, name="authenticate"),
    path("api/auth/info", views.auth_info, name="auth_info"),
    path("api/auth/openid_redirect", openid.OpenIdRedirect.as_view(), name="openid_redirect"),
    path("api/auth/openid_callback", openid.OpenIdCallback.as_view(), name="openid_callback"),
    path("api/auth/redirect", views.openshift_redirect, name="openshift_redirect"),
    path(
        "api/auth/redirect/<str:cluster>",
        views.openshift_redirect,
        name="openshift_redirect_cluster",
    ),
    path("api/auth/callback", views.openshift_callback, name="openshift_callback"),
    path(
        "api/auth/callback/<str:cluster>",
        views.openshift_callback,
        name="openshift_callback_cluster",
    ),
    path("api/namespaces/<str:namespace>/info", views.namespace_info, name="namespace_info"),
]
