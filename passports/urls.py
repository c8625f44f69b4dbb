"""Routes of the passport pages, mounted under /passports/."""

from django.urls import path

from passports import views

urlpatterns = [
    path("<str:code>/", views.passport_page, name="passport-page"),
    path("<str:code>/evidence.json", views.passport_evidence, name="passport-evidence"),
    path("<str:code>/proof.json", views.passport_public_bundle, name="passport-proof"),
]
