"""The base every API viewset derives from: who calls, what they may see, paging, throttling.

Viewsets are declarations (`queryset`, `serializer_class`, `filterset_class`, `visible`); the
behaviour they share lives here once.
"""

from functools import cached_property

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import pagination, viewsets

from accounts.principal import Principal, principal_of


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=M`, with the total count."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class RemeltViewSet(viewsets.GenericViewSet):
    """Shared behaviour: the caller (the request's Principal), and querysets narrowed to what
    the caller may see.

    Set `visible` to a function `(viewer, queryset) -> queryset`; objects outside it do not
    exist for the caller (404, never 403).
    """

    lookup_value_regex = "[^/]+"
    # Without TRACE: DRF would route the HTTP method to a `trace` action (the lots' graph).
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    filter_backends = [DjangoFilterBackend]
    visible = None

    @cached_property
    def caller(self) -> Principal:
        return principal_of(self.request)

    def get_queryset(self):
        queryset = super().get_queryset()
        visible = type(self).visible
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view
            return queryset.none()
        if visible is None:
            return queryset
        return visible(self.caller.viewer, queryset)
