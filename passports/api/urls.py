"""Routes of the passports API, mounted under /api/v1/."""

from django.urls import path

from passports.api.views import EmissionFactorSetViewSet, PassportViewSet

# A part is named by its serial, a lot by its code: the URLs (and the OpenAPI parameters) say so.
passport = PassportViewSet.as_view({"get": "retrieve"})
evidence = PassportViewSet.as_view({"get": "evidence"})
part_passport = PassportViewSet.as_view({"get": "retrieve"}, lookup_url_kwarg="serial")
part_evidence = PassportViewSet.as_view({"get": "evidence"}, lookup_url_kwarg="serial")

urlpatterns = [
    path("parts/<str:serial>/passport/", part_passport, name="part-passport"),
    path("lots/<str:code>/passport/", passport, name="lot-passport"),
    path("parts/<str:serial>/evidence/", part_evidence, name="part-evidence"),
    path("lots/<str:code>/evidence/", evidence, name="lot-evidence"),
    path("emission-factors/", EmissionFactorSetViewSet.as_view({"get": "list"}), name="emission-factors"),
]
