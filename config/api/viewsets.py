"""The base every API viewset derives from: who calls, what they may see, paging, throttling.

Viewsets are declarations (`queryset`, `serializer_class`, `filterset_class`, `visible`); the
behaviour they share lives here once.
"""

from dataclasses import dataclass
from functools import cached_property

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import pagination, viewsets

from accounts.models import ApiKey, Organisation
from ledger.visibility import Viewer, viewer_of_user


@dataclass(frozen=True)
class Caller:
    """Who makes a request: its organisation, the actor string the ledger records, its reach."""

    organisation: Organisation | None
    actor: str
    viewer: Viewer


def caller_of(request) -> Caller:
    """The caller behind an authenticated request (API key or staff session)."""
    if isinstance(request.auth, ApiKey):
        organisation = request.auth.organisation
        actor = f"apikey:{request.auth.prefix}"
        viewer = Viewer(organisation_id=organisation.pk, sees_everything=organisation.sees_everything)
    else:
        organisation = request.user.organisation
        actor = f"user:{request.user.username}"
        viewer = viewer_of_user(request.user)
    return Caller(organisation=organisation, actor=actor, viewer=viewer)


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=M`, with the total count."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class RemeltViewSet(viewsets.GenericViewSet):
    """Shared behaviour: the caller, and querysets narrowed to what the caller may see.

    Set `visible` to a function `(viewer, queryset) -> queryset`; objects outside it do not
    exist for the caller (404, never 403).
    """

    lookup_value_regex = "[^/]+"
    filter_backends = [DjangoFilterBackend]
    visible = None

    @cached_property
    def caller(self) -> Caller:
        return caller_of(self.request)

    def get_queryset(self):
        queryset = super().get_queryset()
        visible = type(self).visible
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view
            return queryset.none()
        if visible is None:
            return queryset
        return visible(self.caller.viewer, queryset)
