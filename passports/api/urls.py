"""Routes of the passports API, mounted under /api/v1/."""

from django.urls import path

from ledger.models import LotKind
from passports.api.views import EmissionFactorSetViewSet, PassportViewSet, StepViewSet

PARTS, INGOTS = {"kind": LotKind.PART}, {"kind": LotKind.INGOT}  # a serial never answers as a lot


def _view(action: str, narrowed: dict, **names):
    return PassportViewSet.as_view({"get": action}, narrowed=narrowed, **names)


# A part is named by its serial, a lot by its code: the URLs (and the OpenAPI parameters) say so.
urlpatterns = [
    path(
        "parts/<str:serial>/passport/",
        _view("retrieve", PARTS, lookup_url_kwarg="serial"),
        name="part-passport",
    ),
    path("lots/<str:code>/passport/", _view("retrieve", INGOTS), name="lot-passport"),
    path(
        "parts/<str:serial>/evidence/",
        _view("evidence", PARTS, lookup_url_kwarg="serial"),
        name="part-evidence",
    ),
    path("lots/<str:code>/evidence/", _view("evidence", INGOTS), name="lot-evidence"),
    path("evidence/steps/<str:code>/", StepViewSet.as_view({"get": "retrieve"}), name="evidence-step"),
    path("emission-factors/", EmissionFactorSetViewSet.as_view({"get": "list"}), name="emission-factors"),
]
