"""The OpenAPI schema and its interactive docs (Swagger UI, assets served locally by the sidecar).

No Redoc page: its template loads web fonts from Google, and the docs must work offline."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
