"""Installations over the partner API: list and read what you may see, register and amend yours."""

from pathlib import Path

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from remelt_verify.canonical import canonical
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action, api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from cbam.api import serializers
from cbam.evidence import report_bundle
from cbam.models import CbamReport, Installation
from cbam.selectors import shipment, visible_installations, visible_reports, visible_shipments
from cbam.services import installation_amend, installation_register, report_request
from cbam.workbook import report_workbook
from config.api.query import BooleanFilter, StrictFilterSet, TextFilter
from config.api.viewsets import PageNumberPagination, RemeltViewSet
from ledger.api.serializers import EventsRecordedSerializer
from ledger.models import Transfer

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schema" / "remelt-cbam-1.json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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

    @extend_schema(
        summary="Keep the CBAM report of your installation over a period current",
        description="The report task computes it, and a new version whenever an entry changes its figures.",
        request=serializers.ReportRequestSerializer,
        responses={202: serializers.ReportPeriodSerializer},
    )
    @action(detail=True, methods=["post"])
    def reports(self, request, code=None):
        self.get_object()
        if self.caller.organisation is None:
            raise exceptions.PermissionDenied("Only members of an organisation may request reports.")
        given = serializers.ReportRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        period = report_request(
            organisation=self.caller.organisation, installation=code, **given.validated_data
        )
        return Response(serializers.ReportPeriodSerializer(period).data, status=status.HTTP_202_ACCEPTED)


class ReportFilter(StrictFilterSet):
    installation = TextFilter(field_name="period__installation__code")
    current = BooleanFilter(field_name="superseded_at", lookup_expr="isnull")

    class Meta:
        model = CbamReport
        fields = []


class CbamReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RemeltViewSet):
    """CBAM reports: every version of each period's communication, with its JSON and XLSX."""

    queryset = CbamReport.objects.select_related("period__installation", "factor_set").order_by(
        "period__installation__code", "period__start", "-version"
    )
    serializer_class = serializers.CbamReportSerializer
    pagination_class = PageNumberPagination
    filterset_class = ReportFilter
    visible = visible_reports

    @extend_schema(summary="The communication as remelt-cbam-1 JSON", responses={200: OpenApiTypes.OBJECT})
    def communication_json(self, request, pk=None):
        report = self.get_object()
        response = HttpResponse(canonical(report.document), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{_filename(report)}.json"'
        return response

    @extend_schema(
        summary="The communication as an XLSX workbook (the Commission's template's layout)",
        responses={(200, XLSX): OpenApiTypes.BINARY},
    )
    def communication_xlsx(self, request, pk=None):
        report = self.get_object()
        response = HttpResponse(report_workbook(report), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{_filename(report)}.xlsx"'
        return response

    @extend_schema(
        summary="The report's evidence bundle, for remelt-verify bundle (installation owner, auditors)",
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["get"])
    def evidence(self, request, pk=None):
        report = self.get_object()
        installations = visible_installations(self.caller.viewer)
        if not installations.filter(pk=report.period.installation_id).exists():
            raise exceptions.NotFound()  # a buyer reads the report, not the installation's ledger entries
        body = report_bundle(report=report, viewer=self.caller.viewer)
        response = HttpResponse(canonical(body), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{_filename(report)}-evidence.json"'
        return response


def _filename(report: CbamReport) -> str:
    period = report.period
    return f"cbam-{period.installation.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}-v{report.version}"


@extend_schema(
    summary="The JSON Schema of remelt-cbam-1 communications", responses={200: OpenApiTypes.OBJECT}
)
@api_view(["GET"])
@permission_classes([AllowAny])
@authentication_classes([])
def report_schema(request):
    return HttpResponse(SCHEMA_PATH.read_bytes(), content_type="application/json")


class ShipmentViewSet(mixins.RetrieveModelMixin, RemeltViewSet):
    """A custody transfer's ingot lots with what the importer declares: CN code, net mass,
    installation, period and SEE_direct, with the report each comes from."""

    queryset = Transfer.objects.filter(voided=False).select_related("from_organisation", "to_organisation")
    serializer_class = serializers.ShipmentSerializer
    visible = visible_shipments

    @extend_schema(summary="The CBAM figures of a shipment (a custody transfer, by its entry's seq)")
    def retrieve(self, request, *args, **kwargs):
        return Response(serializers.ShipmentSerializer(shipment(self.get_object())).data)
