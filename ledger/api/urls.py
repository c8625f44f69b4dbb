"""Routes of the ledger API, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from ledger.api.views import EventViewSet, LedgerEntryViewSet, LotViewSet

router = SimpleRouter()
router.register("events", EventViewSet, basename="event")
router.register("lots", LotViewSet, basename="lot")

urlpatterns = [
    *router.urls,
    path("ledger/entries/", LedgerEntryViewSet.as_view({"get": "feed"}), name="ledger-entry-feed"),
]
