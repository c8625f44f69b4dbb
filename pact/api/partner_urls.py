"""Catena-X documents on the partner API, mounted under /api/v1/."""

from django.urls import path

from pact.api.views import CatenaXViewSet

pcf = CatenaXViewSet.as_view({"get": "pcf"})
secondary = CatenaXViewSet.as_view({"get": "secondary_material"})
# A part is named by its serial, a lot by its code (and so are the OpenAPI parameters).
part_pcf = CatenaXViewSet.as_view({"get": "pcf"}, lookup_url_kwarg="serial")
part_secondary = CatenaXViewSet.as_view({"get": "secondary_material"}, lookup_url_kwarg="serial")

urlpatterns = [
    path("parts/<str:serial>/catenax/pcf/", part_pcf, name="part-catenax-pcf"),
    path("lots/<str:code>/catenax/pcf/", pcf, name="lot-catenax-pcf"),
    path(
        "parts/<str:serial>/catenax/secondary-material-content/",
        part_secondary,
        name="part-catenax-secondary",
    ),
    path("lots/<str:code>/catenax/secondary-material-content/", secondary, name="lot-catenax-secondary"),
]
