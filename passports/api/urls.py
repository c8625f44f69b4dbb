"""Routes of the passports API, mounted under /api/v1/."""

from django.urls import path

from passports.api.views import EmissionFactorSetViewSet, PassportViewSet

passport = PassportViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path("parts/<str:code>/passport/", passport, name="part-passport"),
    path("lots/<str:code>/passport/", passport, name="lot-passport"),
    path("emission-factors/", EmissionFactorSetViewSet.as_view({"get": "list"}), name="emission-factors"),
]
