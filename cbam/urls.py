"""Routes of the CBAM pages, mounted under /cbam/."""

from django.urls import path

from cbam import views

urlpatterns = [
    path("reports/<int:pk>/", views.report_page, name="cbam-report"),
    path("shipments/<int:seq>/", views.shipment_page, name="cbam-shipment"),
    path("shipments/<int:seq>.pdf", views.shipment_document, name="cbam-shipment-pdf"),
]
