"""The PACT host's routes, mounted at /pact (its base URL)."""

from django.urls import path

from pact.api import views
from pact.documents import EXTENSION_PATH

urlpatterns = [
    path("auth/token", views.TokenView.as_view(), name="pact-token"),
    path(".well-known/openid-configuration", views.OpenIdConfigurationView.as_view(), name="pact-openid"),
    path("3/footprints", views.FootprintListView.as_view(), name="pact-footprints"),
    path("3/footprints/<str:pf_id>", views.FootprintDetailView.as_view(), name="pact-footprint"),
    path("3/events", views.EventsView.as_view(), name="pact-events"),
    path(EXTENSION_PATH.removeprefix("/pact/"), views.extension_schema, name="pact-extension-schema"),
]
