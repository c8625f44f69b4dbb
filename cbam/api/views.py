"""Installations over the partner API: list and read what you may see, register and amend yours."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from cbam.api import serializers
from cbam.models import Installation
from cbam.selectors import visible_installations
from cbam.services import installation_amend, installation_register
from config.api.viewsets import PageNumberPagination, RemeltViewSet
from ledger.api.serializers import EventsRecordedSerializer


class InstallationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RemeltViewSet):
    """Installations (sites with furnaces and casting lines), recorded as ledger entries."""

    queryset = Installation.objects.select_related("organisation").prefetch_related("units")
    serializer_class = serializers.InstallationSerializer
    pagination_class = PageNumberPagination
    lookup_field = "code"
    visible = visible_installations

    def _posted(self, service, data) -> Response:
        organisation = self.caller.organisation
        if organisation is None:
            raise exceptions.PermissionDenied("Only members of an organisation may record installations.")
        recorded = service(organisation=organisation, actor=self.caller.actor, data=data)
        return Response(
            EventsRecordedSerializer({"entries": [recorded]}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Register an installation of your organisation (an installation.registered entry, now)",
        description="The body is the entry's data. Every broken rule is a problem naming its field "
        "(`data.country`, `data.furnaces[1].code`); nothing is written then.",
        request=serializers.InstallationRegisteredData,
        responses={201: EventsRecordedSerializer},
    )
    def create(self, request):
        return self._posted(installation_register, request.data)

    @extend_schema(
        summary="Amend your installation: correct its facts, add furnaces or casting lines",
        description="The body is the data of an installation.amended entry, without `installation`.",
        request=serializers.InstallationAmendedData,
        responses={201: EventsRecordedSerializer},
    )
    @action(detail=True, methods=["post"])
    def amendments(self, request, code=None):
        self.get_object()  # an installation you may not see is a 404
        data = {**request.data, "installation": code} if isinstance(request.data, dict) else request.data
        return self._posted(installation_amend, data)
