"""Top-level URL routes."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("passports/", include("passports.urls")),
    path("audit/", include("ledger.urls")),
    path("api/v1/ledger/", include("ledger.api.proof_urls")),
    path("api/v1/", include("passports.api.urls")),
    path("api/v1/", include("ledger.api.urls")),
    path("api/", include("config.api.urls")),
]
