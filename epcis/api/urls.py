"""Routes of the EPCIS API, mounted under /api/v1/."""

from django.urls import path

from epcis.api.views import CaptureViewSet, EpcisEventViewSet

urlpatterns = [
    path("epcis/events", EpcisEventViewSet.as_view({"get": "query"}), name="epcis-events"),
    path("epcis/capture", CaptureViewSet.as_view({"post": "create"}), name="epcis-capture"),
    path("epcis/capture/<uuid:pk>", CaptureViewSet.as_view({"get": "retrieve"}), name="epcis-capture-job"),
    path("lots/<str:code>/epcis", EpcisEventViewSet.as_view({"get": "trace"}), name="lot-epcis"),
]
