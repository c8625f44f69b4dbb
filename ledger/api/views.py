"""The ledger's partner API: post events, read lots and their traces, follow the entry feed."""

import json
from collections.abc import Iterator
from datetime import UTC

from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from config.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from config.api.idempotency import check_key, key_parameter, request_digest, respond_once
from config.api.query import BooleanFilter, StrictFilterSet, TextFilter
from config.api.viewsets import PageNumberPagination, RemeltViewSet
from ledger.api import serializers
from ledger.api.examples import RECORDED_EXAMPLE, request_examples
from ledger.errors import DomainError
from ledger.events import SUPPLY_CONFIRMED
from ledger.models import Lot, LotKind, ScrapCategory
from ledger.quantities import format_kg
from ledger.recall import lot_recall
from ledger.services import EventInput, events_record, roles_check
from ledger.trace import MAX_NODES, TracePage, lot_trace
from ledger.visibility import entries_feed, lot_visible, visible_lots

EVENT_SCHEMA = PolymorphicProxySerializer(
    component_name="Event",
    serializers=serializers.event_serializers,  # called when the schema is made
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
            "a 409. Keys are scoped to your organisation and kept at least 24 hours. Each event type "
            "is posted by organisations of the roles its schema names (a recycler or a wheel maker "
            "receives scrap, an auditor posts nothing); any other answers 403 `role_not_allowed`, "
            "about `type`."
        ),
        request=EVENT_SCHEMA,
        responses={201: OutputSerializer},
        parameters=[
            key_parameter("A unique key per logical request (e.g. a UUID), 1 to 255 printable characters.")
        ],
        examples=[*request_examples(), RECORDED_EXAMPLE],
    )
    def create(self, request):
        organisation = self.caller.organisation
        if organisation is None:
            raise exceptions.PermissionDenied("Only members of an organisation may post events.")
        if request.stream is None:  # no body at all, which DRF would read as an empty event
            raise exceptions.ParseError(
                _("The request has no body: post one event {type, occurred_at, data} or a list of them.")
            )
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
        # A type the caller's roles may not post is refused before its shape is looked at.
        items = payload if many else [payload]
        roles_check(
            self.caller.organisation, [item.get("type") if isinstance(item, dict) else None for item in items]
        )
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


class LotFilter(StrictFilterSet):
    kind = filters.ChoiceFilter(choices=LotKind.choices)
    owner = TextFilter(field_name="owner__slug", help_text="Slug of the organisation holding it now.")
    alloy = TextFilter()
    category = filters.ChoiceFilter(choices=ScrapCategory.choices)
    part_number = TextFilter()
    code_prefix = TextFilter(field_name="code", lookup_expr="startswith")
    occurred_after = UtcDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = UtcDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    voided = BooleanFilter()
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
    visible_one = lot_visible

    @extend_schema(summary="List the lots you may see")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One lot, by its code or serial", responses=serializers.LotDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    def get_serializer_class(self):
        return serializers.LotDetailSerializer if self.action == "retrieve" else self.serializer_class

    @extend_schema(
        summary="Confirm, as its supplier, the receipt of a scrap lot",
        description=(
            "A receipt that names your organisation as `supplier` does not let you see the lot until "
            "you confirm it: this records a `supply.confirmed` entry (as `POST /api/v1/events/` "
            "would, with the time of the request), and from then on you hold the lot as its "
            "supplier and see it as holders do. Posted by scrap suppliers (403 `role_not_allowed` "
            "otherwise). A lot whose receipt does not name you answers exactly as a lot that does "
            "not exist: 404 `unknown_lot`. A receipt is confirmed once: again, 409 "
            "`already_confirmed`; a voided receipt, 409 `voided`."
        ),
        request=None,
        responses={201: serializers.EventsRecordedSerializer},
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="confirm-supply", filter_backends=[])
    def confirm_supply(self, request, code=None):
        organisation = self.caller.organisation
        if organisation is None:
            raise exceptions.PermissionDenied("Only members of an organisation may post events.")
        event = EventInput(SUPPLY_CONFIRMED, timezone.now(), {"lot": code})
        try:
            recorded = events_record(organisation=organisation, actor=self.caller.actor, events=[event])
        except DomainError as error:
            if error.code != "unknown_lot":
                raise
            # The lot is named by the URL: for it, "no such lot" is the 404 any lot URL answers.
            raise DomainError("unknown_lot", error.message, field="code", status=404) from None
        body = serializers.EventsRecordedSerializer({"entries": recorded}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Every part that holds metal of a scrap lot, melt or ingot lot (a recall)",
        description=(
            "All of them, never cut short, by serial, each with the kg of the lot's metal in it, "
            "its share, its holder now and every holder before. The answer is streamed: `lot`, "
            "`count` and `metal_kg` come first, then `parts` as they are read, a few thousand at a "
            "time, in constant memory on both sides if you parse it as a stream. Only the parts "
            "you may see, reached through lots you may see. A part is not a recall's start: 400."
        ),
        responses=serializers.RecallSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def recall(self, request, code=None):
        lot = self.get_object()
        if lot.kind == LotKind.PART:
            message = f"{lot.code} is a part: a recall starts from a scrap, melt or ingot lot"
            raise DomainError("not_a_recall_start", message, field="code")
        recall = lot_recall(lot=lot, viewer=self.caller.viewer)
        return StreamingHttpResponse(_recall_json(recall), content_type="application/json")

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
            "only through lots you may see. Nothing is cut: every lot and edge within `depth` is on "
            "some page, `node_count` and `edge_count` say how many there are, `page` and `page_size` "
            "choose which (nodes by distance then code, edges by entry). A trace that would reach "
            f"more than {MAX_NODES:,} lots is refused (400 `trace_too_large`, about `depth`); "
            "the recall lists every part that holds a lot's metal, however many."
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
        options = dict(query.validated_data)
        page, page_size = options.pop("page"), options.pop("page_size")
        trace = lot_trace(lot=lot, viewer=self.caller.viewer, **options)
        return Response(serializers.TraceSerializer(TracePage(trace, page, page_size)).data)


RECALL_CHUNK = 500  # parts written at a time


def _recall_json(recall) -> Iterator[bytes]:
    """The recall as one JSON object, written as its parts are read (see `RecallSerializer`)."""
    yield (
        json.dumps(
            {"lot": recall.lot.code, "count": recall.count, "metal_kg": format_kg(recall.metal_g)}
        ).encode()[:-1]
        + b', "parts": ['
    )
    part = serializers.RecalledPartSerializer()
    chunk: list[str] = []
    separator = ""
    for item in recall.parts():
        chunk.append(json.dumps(part.to_representation(item)))
        if len(chunk) == RECALL_CHUNK:
            yield (separator + ",".join(chunk)).encode()
            chunk, separator = [], ","
    yield (separator + ",".join(chunk) if chunk else "").encode() + b"]}"


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
