"""Routes of the CBAM pages, mounted under /cbam/."""

from django.urls import path

from cbam import views

urlpatterns = [path("reports/<int:pk>/", views.report_page, name="cbam-report")]
