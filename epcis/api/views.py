"""The EPCIS 2.0 REST binding's subset remelt serves: query, a lot's trace, capture."""

import json
from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from config.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from config.api.idempotency import check_key, key_parameter, request_digest, respond_once
from config.api.viewsets import RemeltViewSet
from epcis.api import examples
from epcis.api.parsers import EpcisJSONLDParser, EpcisJSONParser
from epcis.api.serializers import CaptureJobSerializer, EventQuerySerializer, LotEpcisQuerySerializer
from epcis.documents import epcis_document, query_document
from epcis.models import CaptureJob
from epcis.selectors import EventQuery, events_query, trace_events
from epcis.services import capture_record
from ledger.models import Lot
from ledger.visibility import visible_lots

ERROR_BEHAVIOUR = "GS1-Capture-Error-Behaviour"
VERSION_HEADERS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}


def _plain(value):
    """The parsed document with its decimals as text, for the request's digest."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _versioned(response):
    for name, value in VERSION_HEADERS.items():
        response[name] = value
    return response


class EpcisEventViewSet(RemeltViewSet):
    """EPCIS events of the ledger entries you may see."""

    @extend_schema(
        operation_id="epcis_events_query",
        summary="Query the ledger as EPCIS 2.0 events",
        description=(
            "Every entry of the material record as EPCIS 2.0 events (GS1 EPCIS REST binding, query "
            "parameters `EQ_bizStep`, `GE_eventTime`, `LT_eventTime`, `MATCH_anyEPCClass`, `MATCH_epc`, "
            "`EQ_eventID`, `perPage`, `nextPageToken`; lists are `|`-separated and mean any of them). "
            'Answers an `EPCISQueryDocument` in ledger order; a `Link: <…>; rel="next"` header (and the '
            "next page's token) while more match. You get the events of the entries whose payload you "
            "may read on the feed; of a part run, cast or transfer whose items belong to several "
            "holders, the items you may see (the `eventID` is the hash of the event as you get it). "
            "`eventID` is the CBV 2.0 event hash; `remelt:ledger` names each event's entry (`seq`, `hash`)."
        ),
        parameters=[EventQuerySerializer],
        responses={
            (200, examples.MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.OBJECT, description="an EPCISQueryDocument", examples=examples.QUERY_EXAMPLES
            )
        },
        filters=False,
    )
    def query(self, request):
        given = EventQuerySerializer(data=request.query_params)
        given.is_valid(raise_exception=True)
        params = given.validated_data
        query = EventQuery(
            biz_steps=params.get("EQ_bizStep", []),
            event_ids=params.get("EQ_eventID", []),
            epcs=params.get("MATCH_epc", []),
            epc_classes=params.get("MATCH_anyEPCClass", []),
            since=params.get("GE_eventTime"),
            until=params.get("LT_eventTime"),
        )
        page = events_query(
            viewer=self.caller.viewer,
            query=query,
            per_page=params["perPage"],
            token=params.get("nextPageToken"),
        )
        response = Response(query_document(page.events), content_type="application/ld+json")
        if page.next_token:
            url = replace_query_param(request.build_absolute_uri(), "nextPageToken", page.next_token)
            response["Link"] = f'<{url}>; rel="next"'
        return _versioned(response)

    @extend_schema(
        operation_id="lots_epcis_trace",
        summary="A lot's trace as an EPCIS document",
        description=(
            "The events behind the lot's trace (`GET /api/v1/lots/{code}/trace/`): how every lot reached "
            "was made, its corrections, and the custody transfers of those lots, as an `EPCISDocument` "
            "in ledger order. `up` goes back to the scrap, `down` forward to the parts. A trace that "
            "reaches too many lots is refused (400 `trace_too_large`), never cut."
        ),
        parameters=[LotEpcisQuerySerializer],
        responses={
            (200, examples.MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.OBJECT, description="an EPCISDocument", examples=examples.TRACE_EXAMPLES
            )
        },
        filters=False,
    )
    def trace(self, request, code=None):
        lot = visible_lots(self.caller.viewer, Lot.objects.filter(code=code)).first()
        if lot is None:
            raise exceptions.NotFound(f"No lot {code!r}.")
        given = LotEpcisQuerySerializer(data=request.query_params)
        given.is_valid(raise_exception=True)
        events = trace_events(lot=lot, viewer=self.caller.viewer, **given.validated_data)
        return _versioned(Response(epcis_document(events), content_type="application/ld+json"))


class CaptureViewSet(RemeltViewSet):
    """EPCIS capture: a partner's plant system posts EPCIS documents that become remelt events."""

    parser_classes = [EpcisJSONLDParser, EpcisJSONParser]

    @extend_schema(
        operation_id="epcis_capture",
        summary="Capture an EPCIS 2.0 document",
        description=(
            "Post an `EPCISDocument` (JSON or JSON-LD). It must satisfy GS1's EPCIS 2.0 JSON schema; every "
            "event is read as a remelt event (receipt, melt, cast, part run, transfer, amendment, void; see "
            "the README) and all are recorded, or none (`GS1-Capture-Error-Behaviour: rollback`, the only "
            "behaviour offered). A document the schema refuses or an event remelt cannot read is a 400 "
            "problem naming each field (`epcisBody.eventList[2].inputQuantityList[0].uom`); nothing is "
            "written. Otherwise the answer is 202 with the capture job (also at its `Location`): "
            "`success` with the entries written, or `success: false` with the problem of the rule an "
            f"event broke (overdrawn, unknown lot, …), and nothing written. `{IDEMPOTENCY_HEADER}` works as "
            "on `/api/v1/events/`."
        ),
        request={examples.MEDIA_TYPE: OpenApiTypes.OBJECT},
        parameters=[
            key_parameter("A unique key per document, 1 to 255 printable ASCII characters."),
            OpenApiParameter(
                ERROR_BEHAVIOUR,
                str,
                OpenApiParameter.HEADER,
                enum=["rollback"],
                description="Only `rollback`.",
            ),
        ],
        responses={202: CaptureJobSerializer},
        examples=examples.CAPTURE_EXAMPLES,
    )
    def create(self, request):
        organisation = self.caller.organisation
        if organisation is None:
            raise exceptions.PermissionDenied("Only members of an organisation may capture events.")
        behaviour = request.headers.get(ERROR_BEHAVIOUR)
        if behaviour is not None and behaviour != "rollback":
            raise exceptions.ValidationError(
                {ERROR_BEHAVIOUR: ["remelt captures all events or none: rollback"]}
            )
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            status_code, body = self._capture(request.data)
            response = Response(body, status=status_code)
        else:
            problem = check_key(key)
            if problem:
                raise exceptions.ValidationError({IDEMPOTENCY_HEADER: [problem]})
            digest = request_digest(request.method, request.path, _plain(request.data))
            response = respond_once(
                organisation=organisation, key=key, digest=digest, handler=lambda: self._capture(request.data)
            )
        if response.status_code == status.HTTP_202_ACCEPTED:
            body = response.data if isinstance(response, Response) else json.loads(response.content)
            response["Location"] = request.build_absolute_uri(f"/api/v1/epcis/capture/{body['captureID']}")
        return _versioned(response)

    def _capture(self, document) -> tuple[int, dict]:
        job = capture_record(
            organisation=self.caller.organisation, actor=self.caller.actor, document=document
        )
        return status.HTTP_202_ACCEPTED, CaptureJobSerializer(job).data

    @extend_schema(
        operation_id="epcis_capture_job", summary="A capture job", responses={200: CaptureJobSerializer}
    )
    def retrieve(self, request, pk=None):
        job = CaptureJob.objects.filter(pk=pk, organisation=self.caller.organisation).first()
        if job is None or self.caller.organisation is None:
            raise exceptions.NotFound("No such capture job.")
        return _versioned(Response(CaptureJobSerializer(job).data))
