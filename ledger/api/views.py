"""The ledger's partner API: post events, read lots and their traces, follow the entry feed."""

from datetime import UTC

from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from config.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from config.api.idempotency import check_key, request_digest, respond_once
from config.api.viewsets import PageNumberPagination, RemeltViewSet
from ledger.api import serializers
from ledger.api.examples import RECORDED_EXAMPLE, request_examples
from ledger.models import Lot, LotKind, ScrapCategory
from ledger.services import EventInput, events_record
from ledger.trace import lot_trace
from ledger.visibility import entries_feed, visible_lots

EVENT_SCHEMA = PolymorphicProxySerializer(
    component_name="Event",
    serializers={entry_type: cls for entry_type, cls in serializers.EVENT_SERIALIZERS.items()},
    resource_type_field_name="type",
)


class EventViewSet(RemeltViewSet):
    """Record material-flow events: one, or a batch that is written all or not at all."""

    InputSerializer = serializers.EventInputSerializer
    OutputSerializer = serializers.EventsRecordedSerializer

    @extend_schema(
        operation_id="events_create",
        summary="Record one event or an atomic batch",
        description=(
            "Post one event `{type, occurred_at, data}` or a list of up to "
            f"{serializers.MAX_BATCH}. A list is atomic: if any item breaks a rule nothing is "
            "written, and the problem's `errors` name the item (`[3].data.inputs[0].mass_kg`). "
            f"With an `{IDEMPOTENCY_HEADER}` header a retry of the same request returns the first "
            "response (same status and body) and writes nothing; the same key with another body is "
            "a 409. Keys are scoped to your organisation and kept at least 24 hours."
        ),
        request=EVENT_SCHEMA,
        responses={201: OutputSerializer},
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                description="A unique key per logical request (e.g. a UUID), 1 to 255 printable characters.",
            )
        ],
        examples=[*request_examples(), RECORDED_EXAMPLE],
    )
    def create(self, request):
        organisation = self.caller.organisation
        if organisation is None:
            raise exceptions.PermissionDenied("Only members of an organisation may post events.")
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            status_code, body = self._record(request.data)
            return Response(body, status=status_code)
        problem = check_key(key)
        if problem:
            raise exceptions.ValidationError({IDEMPOTENCY_HEADER: [problem]})
        digest = request_digest(request.method, request.path, request.data)
        return respond_once(
            organisation=organisation, key=key, digest=digest, handler=lambda: self._record(request.data)
        )

    def _record(self, payload) -> tuple[int, dict]:
        many = isinstance(payload, list)
        options = {"many": True, "allow_empty": False, "max_length": serializers.MAX_BATCH} if many else {}
        given = self.InputSerializer(data=payload, **options)
        given.is_valid(raise_exception=True)
        items = given.validated_data if many else [given.validated_data]
        recorded = events_record(
            organisation=self.caller.organisation,
            actor=self.caller.actor,
            events=[EventInput(item["type"], item["occurred_at"], item["data"]) for item in items],
        )
        return status.HTTP_201_CREATED, self.OutputSerializer({"entries": recorded}).data


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time turned to UTC: PostgreSQL refuses offsets beyond ±15:59."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("This time is out of range.", code="overflow") from None


class UtcDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class LotFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=LotKind.choices)
    owner = filters.CharFilter(field_name="owner__slug", help_text="Slug of the organisation holding it now.")
    alloy = filters.CharFilter()
    category = filters.ChoiceFilter(choices=ScrapCategory.choices)
    part_number = filters.CharFilter()
    code_prefix = filters.CharFilter(field_name="code", lookup_expr="startswith")
    occurred_after = UtcDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = UtcDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    voided = filters.BooleanFilter()
    ordering = filters.OrderingFilter(
        fields=(("code", "code"), ("occurred_at", "occurred_at"), ("mass_g", "mass"), ("made_by", "made_by"))
    )

    class Meta:
        model = Lot
        fields = []

    def filter_queryset(self, queryset):
        # The code breaks ties, so that pages never overlap or skip a lot.
        queryset = super().filter_queryset(queryset)
        return queryset.order_by(*queryset.query.order_by, "code") if queryset.query.order_by else queryset


class LotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RemeltViewSet):
    """Lots you hold or held, and everything upstream of the parts you hold or held."""

    queryset = Lot.objects.select_related("owner").order_by("made_by", "code")
    serializer_class = serializers.LotSerializer
    filterset_class = LotFilter
    pagination_class = PageNumberPagination
    lookup_field = "code"
    visible = visible_lots

    @extend_schema(summary="List the lots you may see")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One lot, by its code or serial", responses=serializers.LotDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    def get_serializer_class(self):
        return serializers.LotDetailSerializer if self.action == "retrieve" else self.serializer_class

    @extend_schema(
        summary="The lot's material graph, back to the scrap or forward to the parts",
        description=(
            "`up` walks back to the scrap a lot was made from; `down` walks forward to what was "
            "made from it, e.g. which wheel hubs contain a scrap lot, for a recall. Edges carry the "
            "mass the source gave to the step that made the target. Lots and edges carry a share of "
            "metal (exact, shown to 9 places), by the carbon method's mix rule: a step's outputs "
            "all have the composition of its charge (inputs plus a melt's alloying additions), "
            "losses do not change it. Up, a share is the fraction of the root's metal that came "
            "from a lot or along an edge, and `additions` lists the melts' alloying additions; the "
            "received scrap lots and the additions add up to 1 when nothing is hidden or cut off. "
            "Down, it is the fraction of a lot's metal that came from the root. The walk passes "
            "only through lots you may see."
        ),
        parameters=[serializers.TraceQuerySerializer],
        responses=serializers.TraceSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def trace(self, request, code=None):
        lot = self.get_object()
        query = serializers.TraceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        trace = lot_trace(lot=lot, viewer=self.caller.viewer, **query.validated_data)
        return Response(serializers.TraceSerializer(trace).data)


class LedgerEntryViewSet(RemeltViewSet):
    """The ledger feed: every entry in seq order, payloads withheld where you may not see them."""

    @extend_schema(
        operation_id="ledger_entries_feed",
        summary="Follow the ledger",
        description=(
            "Entries with seq greater than `after`, in order. Every entry carries its hash and its "
            "header (parsed from the hashed bytes); `payload` is null where you may not see it, and "
            "the header's `payload_sha256` still commits to it. Rebuild each export line as the "
            "RFC 8785 encoding of `{hash, header, payload}` and check it with "
            "`remelt-verify`. `next` is null once the page is not full: keep the last seq and poll."
        ),
        parameters=[serializers.FeedQuerySerializer],
        responses=serializers.FeedPageSerializer,
    )
    def feed(self, request):
        query = serializers.FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        after, limit = query.validated_data["after"], query.validated_data["limit"]
        entries = entries_feed(viewer=self.caller.viewer, after=after, limit=limit)
        next_url = None
        if len(entries) == limit:
            next_url = replace_query_param(request.build_absolute_uri(), "after", entries[-1].seq)
        return Response(serializers.FeedPageSerializer({"entries": entries, "next": next_url}).data)
