"""Catena-X documents on the partner API, mounted under /api/v1/."""

from django.urls import path

from pact.api.views import CatenaXViewSet
from passports.api.urls import INGOTS, PARTS


def _view(action: str, narrowed: dict, **names):
    return CatenaXViewSet.as_view({"get": action}, narrowed=narrowed, **names)


# A part is named by its serial, a lot by its code (and so are the OpenAPI parameters).
urlpatterns = [
    path(
        "parts/<str:serial>/catenax/pcf/",
        _view("pcf", PARTS, lookup_url_kwarg="serial"),
        name="part-catenax-pcf",
    ),
    path("lots/<str:code>/catenax/pcf/", _view("pcf", INGOTS), name="lot-catenax-pcf"),
    path(
        "parts/<str:serial>/catenax/secondary-material-content/",
        _view("secondary_material", PARTS, lookup_url_kwarg="serial"),
        name="part-catenax-secondary",
    ),
    path(
        "lots/<str:code>/catenax/secondary-material-content/",
        _view("secondary_material", INGOTS),
        name="lot-catenax-secondary",
    ),
]
