"""The base every API viewset derives from: who calls, what they may see, paging, throttling.

Viewsets are declarations (`queryset`, `serializer_class`, `filterset_class`, `visible`); the
behaviour they share lives here once.
"""

from functools import cached_property

from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import pagination, viewsets
from rest_framework.generics import get_object_or_404

from accounts.principal import Principal, principal_of
from config.api.query import QuerySerializer, WholeNumberField


class PageQuerySerializer(QuerySerializer):
    page = WholeNumberField(min_value=1, default=1, help_text="Which page.")
    page_size = WholeNumberField(min_value=1, max_value=500, default=50, help_text="Results per page.")


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=M`, with the total count. Both are read as PageQuerySerializer states
    (DRF's own falls back to the default for a page size it cannot read)."""

    page_size_query_param = "page_size"

    def paginate_queryset(self, queryset, request, view=None):
        query = PageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        self.page_size = query.validated_data["page_size"]
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        return self.page_size

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": name,
                "required": False,
                "in": "query",
                "description": str(field.help_text),
                "schema": {
                    "type": "integer",
                    "minimum": field.min_value,
                    "maximum": field.max_value,
                    "default": field.default,
                },
            }
            for name, field in PageQuerySerializer().fields.items()
        ]


class RemeltViewSet(viewsets.GenericViewSet):
    """Shared behaviour: the caller (the request's Principal), and querysets narrowed to what
    the caller may see.

    Set `visible` to a function `(viewer, queryset) -> queryset`; objects outside it do not
    exist for the caller (404, never 403). Where the rule is cheaper asked of one object than
    of a whole queryset (a lot's visibility walks from the lot, not from everything the caller
    holds), also set `visible_one` to a function `(viewer, object) -> bool`: `get_object` then
    finds the object in the unrestricted queryset and asks it.
    """

    lookup_value_regex = "[^/]+"
    # Without TRACE: DRF would route the HTTP method to a `trace` action (the lots' graph).
    # Without OPTIONS: DRF's metadata describes a view's serializer, which not every one has
    # (a 500 on /events/); the OpenAPI schema describes every endpoint.
    http_method_names = ["get", "post", "put", "patch", "delete", "head"]
    metadata_class = None
    filter_backends = [DjangoFilterBackend]
    visible = None
    visible_one = None
    # Set per route with as_view(…, narrowed={…}): the queryset's objects one URL answers, e.g.
    # parts only under /parts/{serial}/, so no other URL reaches them by their code.
    narrowed: dict | None = None

    @cached_property
    def caller(self) -> Principal:
        return principal_of(self.request)

    def get_queryset(self, *, restricted: bool = True):
        queryset = super().get_queryset()
        visible = type(self).visible
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view
            return queryset.none()
        if self.narrowed:
            queryset = queryset.filter(**self.narrowed)
        if visible is None or not restricted:
            return queryset
        return visible(self.caller.viewer, queryset)

    def get_object(self):
        visible_one = type(self).visible_one
        if visible_one is None:
            return super().get_object()
        lookup = self.lookup_url_kwarg or self.lookup_field
        queryset = self.filter_queryset(self.get_queryset(restricted=False))
        found = get_object_or_404(queryset, **{self.lookup_field: self.kwargs[lookup]})
        if not visible_one(self.caller.viewer, found):
            raise Http404
        self.check_object_permissions(self.request, found)
        return found
