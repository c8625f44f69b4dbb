"""Routes of the CBAM API, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from cbam.api.views import CbamReportViewSet, InstallationViewSet, ShipmentViewSet, report_schema

router = SimpleRouter()
router.register("installations", InstallationViewSet, basename="installation")
router.register("cbam/reports", CbamReportViewSet, basename="cbam-report")
router.register("cbam/shipments", ShipmentViewSet, basename="cbam-shipment")

urlpatterns = [
    path("cbam/schema/remelt-cbam-1.json", report_schema, name="cbam-schema"),
    path(
        "cbam/reports/<int:pk>/communication.json",
        CbamReportViewSet.as_view({"get": "communication_json"}),
        name="cbam-report-communication-json",
    ),
    path(
        "cbam/reports/<int:pk>/communication.xlsx",
        CbamReportViewSet.as_view({"get": "communication_xlsx"}),
        name="cbam-report-communication-xlsx",
    ),
    *router.urls,
]
