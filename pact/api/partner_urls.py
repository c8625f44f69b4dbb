"""Catena-X documents on the partner API, mounted under /api/v1/."""

from django.urls import path

from pact.api.views import CatenaXViewSet

pcf = CatenaXViewSet.as_view({"get": "pcf"})
secondary = CatenaXViewSet.as_view({"get": "secondary_material"})

urlpatterns = [
    path("parts/<str:code>/catenax/pcf/", pcf, name="part-catenax-pcf"),
    path("lots/<str:code>/catenax/pcf/", pcf, name="lot-catenax-pcf"),
    path("parts/<str:code>/catenax/secondary-material-content/", secondary, name="part-catenax-secondary"),
    path("lots/<str:code>/catenax/secondary-material-content/", secondary, name="lot-catenax-secondary"),
]
