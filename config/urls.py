"""Top-level URL routes."""

from django.contrib import admin
from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/v1/ledger/", include("ledger.api.proof_urls")),
    path("api/v1/", include("passports.api.urls")),
    path("api/v1/", include("ledger.api.urls")),
    path("api/", include("config.api.urls")),
]
