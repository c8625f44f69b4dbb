"""Passports and emission factors over the partner API."""

from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.response import Response

from config.api.query import QuerySerializer, WholeNumberField
from config.api.viewsets import RemeltViewSet
from ledger.models import Lot
from ledger.visibility import lot_visible, visible_lots
from passports.evidence import evidence_bundle, step_bundle
from passports.models import EmissionFactorSet
from passports.selectors import passport


class PassportVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    digest = serializers.CharField()
    ledger_seq = serializers.IntegerField()
    factor_set = serializers.CharField()
    anchored_in = serializers.IntegerField(allow_null=True, help_text="seq of the footprint.computed entry")
    superseded_at = serializers.DateTimeField(allow_null=True)


class PassportEntrySerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    type = serializers.CharField()
    hash = serializers.CharField()


class PassportSerializer(serializers.Serializer):
    lot = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.ChoiceField(["current", "pending"], help_text="pending while a roll-up is queued")
    footprint = serializers.JSONField(
        allow_null=True,
        help_text="total, per kg and by stage (kg CO2e), recycled content, baseline and saving; "
        "method and factor-set versions; the exact document whose SHA-256 is the version's digest",
    )
    versions = PassportVersionSerializer(many=True)
    entries = PassportEntrySerializer(
        many=True,
        help_text="the ledger entries of the lot's own step: the one that made it and those that made "
        "what it consumed (the trace, the inputs' passports and the evidence bundle go further up)",
    )


class EvidenceQuerySerializer(QuerySerializer):
    upstream = serializers.ChoiceField(
        choices=["all"],
        required=False,
        help_text="all: format 1, every entry upstream of the footprint in one file (it grows with the "
        "history); without it, format 2: the lot's own step from its inputs' committed states",
    )


class StepQuerySerializer(QuerySerializer):
    at = WholeNumberField(
        min_value=1,
        required=False,
        help_text="the ledger seq the state is wanted at: a step's `at` for its inputs "
        "(default: the current state)",
    )


class PassportViewSet(mixins.RetrieveModelMixin, RemeltViewSet):
    """A part's (or lot's) passport: footprint, recycled content, versions and the entries behind it."""

    queryset = Lot.objects.filter(kind__in=("part", "ingot"))
    serializer_class = PassportSerializer
    lookup_field = "code"
    visible = visible_lots
    visible_one = lot_visible

    @extend_schema(summary="The passport of a wheel hub (by serial) or an ingot lot (by code)")
    def retrieve(self, request, *args, **kwargs):
        return Response(PassportSerializer(passport(self.get_object())).data)

    @extend_schema(
        summary="The evidence bundle of a wheel hub or ingot lot, for remelt-verify",
        description="One JSON file, for `remelt-verify bundle.json`: the step that made the lot "
        "(its entry, its inputs' committed carbon states with their proofs), the lot's custody "
        "transfers and the footprint's anchor (payloads where the caller may read them), a signed "
        "checkpoint holding them, the Merkle proofs of every entry and link, the factor set and the "
        "footprint; its size does not depend on the history upstream. Each input's step is "
        "`GET /api/v1/evidence/steps/{code}/?at={seq}`. `?upstream=all` gives every entry upstream "
        "instead (format 1). 409 while the lot has no footprint yet.",
        parameters=[EvidenceQuerySerializer],
        responses={200: OpenApiTypes.OBJECT},
    )
    def evidence(self, request, *args, **kwargs):
        lot = self.get_object()
        query = EvidenceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        upstream = query.validated_data.get("upstream") == "all"
        response = Response(evidence_bundle(lot=lot, viewer=self.caller.viewer, upstream=upstream))
        response["Content-Disposition"] = content_disposition_header(True, f"{lot.code}-evidence.json")
        return response


class StepViewSet(RemeltViewSet):
    """One proven step up: the state of the entry that made a lot, from its inputs' states."""

    queryset = Lot.objects.all()
    lookup_field = "code"
    visible = visible_lots
    visible_one = lot_visible

    @extend_schema(
        summary="One step of a lot's carbon, for remelt-verify (walk up on demand)",
        description="The state of the entry that made the lot (any kind: scrap, melt, ingot, internal "
        "scrap, part) as it stood at ledger seq `at`, committed in a roll-up anchor, with the entry, "
        "its inputs' committed states and their proofs, so that `remelt-verify` recomputes it; it "
        "names the inputs to walk up to next, each with the `at` to ask for. 409 when the lot has "
        "no committed state there.",
        parameters=[StepQuerySerializer],
        responses={200: OpenApiTypes.OBJECT},
    )
    def retrieve(self, request, *args, **kwargs):
        lot = self.get_object()
        query = StepQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        bundle = step_bundle(lot=lot, viewer=self.caller.viewer, at_seq=query.validated_data.get("at"))
        response = Response(bundle)
        response["Content-Disposition"] = content_disposition_header(True, f"{lot.code}-step.json")
        return response


class FactorSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    value = serializers.DecimalField(max_digits=14, decimal_places=6)
    unit = serializers.CharField()
    source = serializers.CharField()
    is_estimate = serializers.BooleanField()


class FactorSetSerializer(serializers.ModelSerializer):
    factors = FactorSerializer(many=True)

    class Meta:
        model = EmissionFactorSet
        fields = ["version", "description", "active", "created_at", "factors"]


class EmissionFactorSetViewSet(mixins.ListModelMixin, RemeltViewSet):
    """The emission-factor sets, each factor with its value, unit, source and estimate flag."""

    queryset = EmissionFactorSet.objects.prefetch_related("factors").order_by("-created_at")
    serializer_class = FactorSetSerializer
    pagination_class = None

    @extend_schema(summary="Emission-factor sets with their sources")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
