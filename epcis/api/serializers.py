"""The shapes of the EPCIS endpoints: query parameters, capture jobs (documents are GS1's)."""

from rest_framework import serializers

from config.api.query import QuerySerializer, WholeNumberField
from epcis.selectors import MAX_PER_PAGE
from ledger.trace import DEFAULT_DEPTH, DOWN, MAX_DEPTH, UP

DEFAULT_PER_PAGE = 30


class PipeList(serializers.CharField):
    """The REST binding's pipe-delimited list (`EQ_bizStep=receiving|shipping`)."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        values = [value for value in text.split("|") if value]
        if not values:
            raise serializers.ValidationError("give at least one value")
        return values


class EventQuerySerializer(QuerySerializer):
    EQ_bizStep = PipeList(required=False, help_text="bizSteps, bare CBV words or URIs, `|`-separated")
    GE_eventTime = serializers.DateTimeField(required=False, help_text="events at or after this time")
    LT_eventTime = serializers.DateTimeField(required=False, help_text="events before this time")
    MATCH_anyEPCClass = PipeList(required=False, help_text="EPC classes of quantity lists (lots, materials)")
    MATCH_epc = PipeList(required=False, help_text="EPCs of EPC lists (serials)")
    EQ_eventID = PipeList(required=False, help_text="eventIDs")
    perPage = WholeNumberField(required=False, min_value=1, max_value=MAX_PER_PAGE, default=DEFAULT_PER_PAGE)
    nextPageToken = serializers.CharField(required=False, max_length=100)

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: ["not a query parameter remelt answers"] for name in unknown}
            )
        return attrs


class LotEpcisQuerySerializer(QuerySerializer):
    direction = serializers.ChoiceField(choices=[UP, DOWN], default=UP)
    depth = WholeNumberField(min_value=1, max_value=MAX_DEPTH, default=DEFAULT_DEPTH)


class CapturedEntrySerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="the event's index in the document's eventList")
    type = serializers.CharField(help_text="the remelt event type it was recorded as")
    seq = serializers.IntegerField()
    hash = serializers.CharField()
    eventIDs = serializers.ListField(
        child=serializers.CharField(), help_text="the events the entry shows now"
    )


class CaptureJobSerializer(serializers.Serializer):
    captureID = serializers.UUIDField(source="id")
    createdAt = serializers.DateTimeField(source="created_at")
    finishedAt = serializers.DateTimeField(source="finished_at")
    running = serializers.SerializerMethodField()
    success = serializers.BooleanField()
    captureErrorBehaviour = serializers.SerializerMethodField()
    eventCount = serializers.IntegerField(source="event_count")
    entries = CapturedEntrySerializer(many=True)
    errors = serializers.ListField(child=serializers.DictField(), help_text="RFC 9457 problems")

    def get_running(self, job) -> bool:
        return False  # capture runs in the request: a job is finished when it is shown

    def get_captureErrorBehaviour(self, job) -> str:  # noqa: N802 - the binding's name
        return "rollback"
