"""Routes of the passports API, mounted under /api/v1/."""

from django.urls import path

from passports.api.views import EmissionFactorSetViewSet, PassportViewSet

passport = PassportViewSet.as_view({"get": "retrieve"})
evidence = PassportViewSet.as_view({"get": "evidence"})

urlpatterns = [
    path("parts/<str:code>/passport/", passport, name="part-passport"),
    path("lots/<str:code>/passport/", passport, name="lot-passport"),
    path("parts/<str:code>/evidence/", evidence, name="part-evidence"),
    path("lots/<str:code>/evidence/", evidence, name="lot-evidence"),
    path("emission-factors/", EmissionFactorSetViewSet.as_view({"get": "list"}), name="emission-factors"),
]
