"""The OpenAPI schema and its interactive docs (Swagger UI, assets served locally by the sidecar).

No Redoc page: its template loads web fonts from Google, and the docs must work offline."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Its script is a file of its own (docs/?script), not inline, as the Content-Security-Policy asks.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
