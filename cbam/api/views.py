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
from cbam.services import installation_amendment_post, installation_register, report_request
from cbam.shapes import AMENDMENT_BODY
from cbam.workbook import report_workbook
from config.api.query import BooleanFilter, StrictFilterSet, TextFilter
from config.api.schema import rules
from config.api.viewsets import PageNumberPagination, RemeltViewSet
from ledger.api.serializers import EventsRecordedSerializer
from ledger.models import Transfer
from ledger.shapes import named_schema

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schema" / "remelt-cbam-1.json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNLOCODE_RULE = (
    "the UN/LOCODE, given or kept, does not start with the installation's country (about `data.unlocode`)"
)


def amendment_body_schema() -> dict:
    """The OpenAPI schema of an amendment's body; its parts (UnitData, CoordinatesData) are the
    installation.amended payload's, among the components."""
    return named_schema(AMENDMENT_BODY)


class InstallationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RemeltViewSet):
    """Installations (sites with furnaces and casting lines), recorded as ledger entries."""

    queryset = Installation.objects.select_related("organisation").prefetch_related("units")
    serializer_class = serializers.InstallationSerializer
    pagination_class = PageNumberPagination
    lookup_field = "code"
    visible = visible_installations

    def _posted(self, service, **given) -> Response:
        organisation = self.caller.organisation
        if organisation is None:
            raise exceptions.PermissionDenied("Only members of an organisation may record installations.")
        recorded = service(organisation=organisation, actor=self.caller.actor, **given)
        return Response(
            EventsRecordedSerializer({"entries": [recorded]}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Register an installation of your organisation (an installation.registered entry, now)",
        description="The body is the entry's data. Every field error is reported at once, by its path "
        "(`data.country`, `data.furnaces[1].code`), and every broken rule as a problem naming its field "
        "(400 `unlocode_not_in_country`, 409 `duplicate_code`); nothing is written then.",
        request={"application/json": {"$ref": "#/components/schemas/InstallationRegisteredData"}},
        responses={201: EventsRecordedSerializer},
        extensions=rules(unlocode_not_in_country=UNLOCODE_RULE),
    )
    def create(self, request):
        return self._posted(installation_register, data=request.data)

    @extend_schema(
        summary="Amend your installation: correct its facts, add furnaces or casting lines",
        description="The body is the data of an installation.amended entry without `installation`: the "
        "URL names it (`installation` in the body is a field error at `data.installation`). An amendment "
        "that corrects no fact and adds nothing is refused (400 `nothing_to_amend`); a UN/LOCODE outside "
        "the installation's country too (400 `unlocode_not_in_country`).",
        request={"application/json": amendment_body_schema()},
        responses={201: EventsRecordedSerializer},
        extensions=rules(
            nothing_to_amend="no fact is corrected and no furnace or casting line added (about `data`)",
            unlocode_not_in_country=UNLOCODE_RULE,
        ),
    )
    @action(detail=True, methods=["post"])
    def amendments(self, request, code=None):
        self.get_object()  # an installation you may not see is a 404
        return self._posted(installation_amendment_post, installation=code, amendment=request.data)

    @extend_schema(
        summary="Keep the CBAM report of your installation over a period current",
        description="The report task computes it, and a new version whenever an entry changes its figures. "
        "A period that does not end after it starts is refused (400 `empty_period`, about `end`).",
        request=serializers.ReportRequestSerializer,
        responses={202: serializers.ReportPeriodSerializer},
        extensions=rules(empty_period="`end` is not after `start` (about `end`)"),
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
