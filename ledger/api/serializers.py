"""Serializers of the ledger API.

Input serializers check only the shape of a request; the rules of the material record live in
`ledger.events` and answer through DomainError. The `…Data` serializers below are never used
to validate: they document each event type's payload in the OpenAPI schema.
"""

from fractions import Fraction

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ledger import events
from ledger.models import LotKind
from ledger.quantities import format_kg
from ledger.selectors import lot_amendments
from ledger.trace import DEFAULT_DEPTH, DOWN, MAX_DEPTH, MAX_TRACE_PAGE, UP

MAX_BATCH = 1000  # events in one POST

DECIMAL_KG = r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,3})?$"
DECIMAL_AMOUNT = r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,3})?$"
DECIMAL_SHARE = r"^(0|[1-9][0-9]{0,2})(\.[0-9]{1,4})?$"


# -- input -----------------------------------------------------------------------------------


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that states its offset: business time without a zone is ambiguous."""

    default_error_messages = {"naive": "Give a time zone, e.g. 2026-11-02T07:30:00Z or +01:00."}

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


class EventInputSerializer(serializers.Serializer):
    """One event as a client posts it."""

    type = serializers.ChoiceField(choices=events.EVENT_TYPES)
    occurred_at = AwareDateTimeField(help_text="Business time, with its offset.")
    data = serializers.DictField(help_text="The event's payload; see the schema of each type.")


# -- documentation of each event type's payload ----------------------------------------------


def _kg(help_text: str = 'Mass in kg, a decimal string with at most 3 decimals, e.g. "1250.500".', **kw):
    return serializers.RegexField(DECIMAL_KG, help_text=help_text, **kw)


def _amount(help_text: str, **kw):
    return serializers.RegexField(DECIMAL_AMOUNT, help_text=help_text, **kw)


def _code(help_text: str, **kw):
    return serializers.CharField(max_length=64, help_text=help_text, **kw)


class TransportData(serializers.Serializer):
    distance_km = _amount("Distance in km, a decimal string.")
    mode = serializers.CharField(
        max_length=20, help_text="A transport mode of the active emission-factor set: truck, rail or ship."
    )


class EnergyData(serializers.Serializer):
    natural_gas_m3 = _amount("Natural gas in m³ (default 0).", required=False)
    electricity_kwh = _amount("Electricity in kWh (default 0).", required=False)


class InputLotData(serializers.Serializer):
    lot = _code("Code of a lot the poster holds.")
    mass_kg = _kg()


class AdditionData(serializers.Serializer):
    material = serializers.CharField(
        max_length=60, help_text="A material key of the active factor set, e.g. primary_aluminium, silicon."
    )
    mass_kg = _kg()


class ScrapReceivedData(serializers.Serializer):
    code = _code("Your own lot code; generated (SCR-<year>-NNNNNN) if left out.", required=False)
    supplier = serializers.CharField(
        max_length=200, help_text="The supplier's organisation slug, or its name if it is not on remelt."
    )
    grade = serializers.CharField(max_length=200, help_text="e.g. ISRI Tense, wheels.")
    category = serializers.ChoiceField(choices=["post_consumer", "pre_consumer"])
    mass_kg = _kg()
    origin = serializers.CharField(max_length=200, required=False)
    transport = TransportData(help_text="How the scrap came to you.")
    documents = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, help_text="Document references."
    )


class MeltRecordedData(serializers.Serializer):
    code = _code("Your own code for the heat; generated (MLT-<year>-NNNNNN) if left out.", required=False)
    furnace = serializers.CharField(max_length=64)
    inputs = InputLotData(many=True, help_text="Scrap, ingot or melt lots charged.")
    additions = AdditionData(many=True, required=False)
    energy = EnergyData(required=False)
    output_mass_kg = _kg("Liquid metal out; at most inputs plus additions, at least half of them.")
    dross_kg = _kg("Dross skimmed off (default 0).", required=False)


class IngotOutputData(serializers.Serializer):
    code = _code("Your own code for the ingot lot; generated if left out.", required=False)
    mass_kg = _kg()
    alloy = serializers.CharField(max_length=40, help_text="e.g. A356.2.")
    chemistry = serializers.DictField(
        child=serializers.RegexField(DECIMAL_SHARE),
        required=False,
        help_text='Mass share in % by element symbol, e.g. {"Si": "7.05", "Mg": "0.35"}.',
    )


class IngotsCastData(serializers.Serializer):
    inputs = InputLotData(many=True, help_text="Melt lots poured.")
    outputs = IngotOutputData(many=True)
    energy = EnergyData(required=False)


class PartData(serializers.Serializer):
    serial = _code("The wheel hub's serial number; it becomes the part lot's code.")
    mass_kg = _kg()
    part_number = serializers.CharField(max_length=64)


class InternalScrapData(serializers.Serializer):
    code = _code("Code of the internal scrap lot; generated if left out.", required=False)
    mass_kg = _kg()
    grade = serializers.CharField(
        max_length=100, required=False, help_text="Default: chips, gates and rejects."
    )


class PartsProducedData(serializers.Serializer):
    inputs = InputLotData(many=True, help_text="Ingot or melt lots used.")
    parts = PartData(many=True)
    internal_scrap = InternalScrapData(required=False, help_text="Chips, gates and rejects of the run.")
    energy = EnergyData(required=False, help_text="Casting, heat treatment and machining.")


class CustodyTransferredData(serializers.Serializer):
    lots = serializers.ListField(child=_code("Lot code or part serial."), min_length=1)
    to = serializers.CharField(max_length=64, help_text="The receiving organisation's slug.")
    transport = TransportData()


class LotAmendedData(serializers.Serializer):
    lot = _code("The lot whose making entry is corrected; only its maker may amend it.")
    reason = serializers.CharField(max_length=500)
    grade = serializers.CharField(max_length=100, required=False)
    category = serializers.ChoiceField(choices=["post_consumer", "pre_consumer"], required=False)
    origin = serializers.CharField(max_length=100, required=False)
    transport = TransportData(required=False)
    energy = EnergyData(required=False)
    additions = AdditionData(many=True, required=False, help_text="Materials only; masses are structural.")
    chemistry = serializers.DictField(child=serializers.RegexField(DECIMAL_SHARE), required=False)
    alloy = serializers.CharField(max_length=100, required=False)
    part_number = serializers.CharField(max_length=100, required=False)


class EntryVoidedData(serializers.Serializer):
    seq = serializers.IntegerField(min_value=1, help_text="The entry to withdraw; its lots must be unused.")
    reason = serializers.CharField(max_length=500)


EVENT_DATA = {
    events.SCRAP_RECEIVED: ("ScrapReceivedEvent", ScrapReceivedData, "New scrap lot from a supplier."),
    events.MELT_RECORDED: ("MeltRecordedEvent", MeltRecordedData, "One furnace batch (heat)."),
    events.INGOTS_CAST: ("IngotsCastEvent", IngotsCastData, "Melt(s) cast into ingot lots."),
    events.PARTS_PRODUCED: ("PartsProducedEvent", PartsProducedData, "A production run of wheel hubs."),
    events.CUSTODY_TRANSFERRED: (
        "CustodyTransferredEvent",
        CustodyTransferredData,
        "Lots move to another organisation.",
    ),
    events.LOT_AMENDED: ("LotAmendedEvent", LotAmendedData, "Correct the non-structural facts of a lot."),
    events.ENTRY_VOIDED: ("EntryVoidedEvent", EntryVoidedData, "Withdraw an entry whose lots are unused."),
}


def _event_serializer(entry_type: str, name: str, data: type, doc: str) -> type:
    return type(
        name,
        (serializers.Serializer,),
        {
            "__doc__": doc,
            "__module__": __name__,
            "type": serializers.ChoiceField(choices=[entry_type]),
            "occurred_at": serializers.DateTimeField(help_text="Business time, with its offset."),
            "data": data(),
        },
    )


EVENT_SERIALIZERS = {
    entry_type: _event_serializer(entry_type, name, data, doc)
    for entry_type, (name, data, doc) in EVENT_DATA.items()
}


# -- output ----------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": DECIMAL_KG, "example": "1250.500"})
class KgField(serializers.Field):
    """Grams shown as the API's kg string with 3 decimals."""

    def __init__(self, **kwargs) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, grams: int) -> str:
        return format_kg(grams)


class LotSerializer(serializers.Serializer):
    """A lot of metal: scrap, a melt, an ingot lot or a wheel hub."""

    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=LotKind.choices)
    owner = serializers.CharField(source="owner.slug", help_text="The organisation that holds it now.")
    mass_kg = KgField(source="mass_g")
    remaining_kg = KgField(source="remaining_g", help_text="Mass not consumed yet.")
    category = serializers.CharField(help_text="Scrap: post_consumer, pre_consumer or internal; else empty.")
    grade = serializers.CharField()
    alloy = serializers.CharField()
    chemistry = serializers.DictField(child=serializers.CharField())
    part_number = serializers.CharField()
    supplier = serializers.CharField()
    origin = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    made_by = serializers.IntegerField(source="made_by_id", help_text="Seq of the entry that made it.")
    voided = serializers.BooleanField()


class FactChangeSerializer(serializers.Serializer):
    fact = serializers.CharField(help_text="The fact corrected, e.g. transport, grade, energy.")
    was = serializers.JSONField(help_text="Its value before: as first recorded, or as last amended.")
    now = serializers.JSONField(help_text="Its value after this amendment.")


class AmendmentSerializer(serializers.Serializer):
    """A lot.amended entry that corrected facts of the lot, with the values it replaced."""

    seq = serializers.IntegerField(source="entry.seq")
    hash = serializers.CharField(source="entry.hash")
    occurred_at = serializers.DateTimeField(source="entry.occurred_at")
    reason = serializers.CharField()
    changes = FactChangeSerializer(many=True)


class LotDetailSerializer(LotSerializer):
    """One lot, with the amendments of its facts: the lot's fields show the corrected values,
    the entry that made it the values as first recorded."""

    amendments = serializers.SerializerMethodField()

    @extend_schema_field(AmendmentSerializer(many=True))
    def get_amendments(self, lot) -> list:
        return AmendmentSerializer(lot_amendments(lot), many=True).data


class RecordedEntrySerializer(serializers.Serializer):
    """An entry as recorded: where it sits in the chain and the lots it made."""

    seq = serializers.IntegerField(source="entry.seq")
    hash = serializers.CharField(source="entry.hash")
    prev_hash = serializers.CharField(source="entry.prev_hash")
    type = serializers.CharField(source="entry.type")
    occurred_at = serializers.DateTimeField(source="entry.occurred_at")
    recorded_at = serializers.DateTimeField(source="entry.recorded_at")
    lots = serializers.ListField(child=serializers.CharField(), help_text="Codes of the lots it made.")


class EventsRecordedSerializer(serializers.Serializer):
    entries = RecordedEntrySerializer(many=True)


SHARE_PLACES = 9
SHARE = r"^(0\.[0-9]{9}|1\.000000000)$"


def format_share(share: Fraction) -> str:
    """An exact share as a decimal string with 9 places (half to even), e.g. "0.547945205"."""
    units = round(share * 10**SHARE_PLACES)
    return f"{units // 10**SHARE_PLACES}.{units % 10**SHARE_PLACES:0{SHARE_PLACES}d}"


@extend_schema_field({"type": "string", "pattern": SHARE, "example": "0.547945205"})
class ShareField(serializers.Field):
    """An exact fraction of metal shown as a decimal string with 9 places."""

    def __init__(self, **kwargs) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, share: Fraction) -> str:
        return format_share(share)


class TraceNodeSerializer(LotSerializer):
    distance = serializers.IntegerField(help_text="Steps from the lot the trace starts at.")
    share = ShareField(
        help_text=(
            "up: the fraction of the root's metal that came from (or through) this lot; "
            "down: the fraction of this lot's metal that came from the root. The root's is 1."
        )
    )


class TraceEdgeSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="The lot metal came from.")
    target = serializers.CharField(help_text="The lot it went into.")
    entry = serializers.IntegerField(source="seq", help_text="Seq of the step that made `target`.")
    mass_kg = KgField(
        source="mass_g", help_text="What `source` gave to that step (shared by all the step's outputs)."
    )
    share = ShareField(
        help_text=(
            "up: the fraction of the root's metal that flowed along this edge; "
            "down: the fraction of the target's metal that came from the root along it."
        )
    )


class TraceAdditionSerializer(serializers.Serializer):
    entry = serializers.IntegerField(source="seq", help_text="Seq of the melt that was charged with it.")
    target = serializers.CharField(help_text="The melt lot.")
    material = serializers.CharField(help_text="Key of the material in the emission-factor set.")
    mass_kg = KgField(source="mass_g", help_text="What was added to the melt's charge.")
    share = ShareField(help_text="The fraction of the root's metal that is this addition.")


class TraceSerializer(serializers.Serializer):
    """One page of a trace: every lot and edge within the depth is on some page, none is cut."""

    root = serializers.CharField(source="trace.root.code")
    direction = serializers.ChoiceField(choices=[UP, DOWN], source="trace.direction")
    depth = serializers.IntegerField(source="trace.depth")
    node_count = serializers.IntegerField(help_text="How many lots the trace has on all pages, the root too.")
    edge_count = serializers.IntegerField(help_text="How many edges it has, on all pages.")
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    pages = serializers.IntegerField(help_text="How many pages of `page_size` nodes and edges there are.")
    nodes = serializers.SerializerMethodField(help_text="This page's lots, by distance, then code.")
    edges = TraceEdgeSerializer(many=True, help_text="This page's edges, by entry, then source and target.")
    additions = TraceAdditionSerializer(
        many=True,
        help_text=(
            "up: the alloying additions of the melts walked through (with the received scrap, "
            "where the root's metal came from); down: always empty."
        ),
    )

    @extend_schema_field(TraceNodeSerializer(many=True))
    def get_nodes(self, page) -> list:
        nodes = []
        for lot, distance in page.nodes:
            node = dict(LotSerializer(lot).data)
            node["distance"] = distance
            node["share"] = format_share(page.trace.shares[lot.code])
            nodes.append(node)
        return nodes


class RecalledPartSerializer(serializers.Serializer):
    """A part that holds metal of the recalled lot."""

    serial = serializers.CharField(source="part.code")
    part_number = serializers.CharField(source="part.part_number")
    holder = serializers.CharField(source="part.owner.slug", help_text="The organisation that holds it now.")
    held_by = serializers.SerializerMethodField(help_text="Every holder, in custody order.")
    metal_kg = KgField(source="metal_g", help_text="kg of the recalled lot's metal in the part.")
    share = ShareField(help_text="The fraction of the part's metal that came from the recalled lot.")
    part_mass_kg = KgField(source="part.mass_g")
    made_at = serializers.DateTimeField(source="part.occurred_at")

    def get_held_by(self, item) -> list[str]:
        return [holder.slug for holder in item.holders]


class RecallSerializer(serializers.Serializer):
    """Every part that holds metal of a lot (streamed: `parts` is read as it is sent)."""

    lot = serializers.CharField(source="lot.code")
    count = serializers.IntegerField(help_text="How many parts `parts` lists: all of them.")
    metal_kg = KgField(source="metal_g", help_text="kg of the lot's metal in all of them.")
    parts = RecalledPartSerializer(many=True, help_text="By serial.")


class HeaderSerializer(serializers.Serializer):
    """The hashed header of an entry, exactly as stored (RFC 8785 members, see the README)."""

    seq = serializers.IntegerField()
    prev_hash = serializers.CharField()
    type = serializers.CharField()
    org = serializers.CharField(allow_null=True)
    actor = serializers.CharField()
    occurred_at = serializers.CharField()
    recorded_at = serializers.CharField()
    payload_sha256 = serializers.CharField()


@extend_schema_field(HeaderSerializer)
class HeaderField(serializers.Field):
    """The parsed header, passed through untouched so that a client can re-canonicalise it."""

    def __init__(self, **kwargs) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value


@extend_schema_field(
    {"type": "object", "nullable": True, "additionalProperties": True, "description": "null when withheld"}
)
class PayloadField(HeaderField):
    """The parsed payload, or None where the caller may not see it."""


@extend_schema_field(
    {
        "type": "array",
        "nullable": True,
        "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": {}},
        "description": "Where the payload commits to its items one by one (a part run's wheels, a cast's "
        "ingot lots, a transfer's lots): `[salt, item]` of each item you may see; SHA-256 of its RFC 8785 "
        'bytes is the digest in the item\'s placeholder `{"...": digest}`. null for other entries.',
    }
)
class DisclosuresField(HeaderField):
    """The disclosures the caller may see, or None for an entry that commits to no item."""


class FeedEntrySerializer(serializers.Serializer):
    """One entry of the feed; enough to rebuild its export line and verify the chain."""

    seq = serializers.IntegerField()
    type = serializers.CharField()
    hash = serializers.CharField()
    prev_hash = serializers.CharField()
    payload_sha256 = serializers.CharField()
    header = HeaderField()
    payload = PayloadField()
    disclosures = DisclosuresField()


class FeedPageSerializer(serializers.Serializer):
    entries = FeedEntrySerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page, or null at the end of the chain.")


class FeedQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, default=0, help_text="Entries with a larger seq.")
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)


class TraceQuerySerializer(serializers.Serializer):
    direction = serializers.ChoiceField(
        choices=[UP, DOWN], default=UP, help_text="up: back to the scrap; down: forward to the parts."
    )
    depth = serializers.IntegerField(min_value=1, max_value=MAX_DEPTH, default=DEFAULT_DEPTH)
    page = serializers.IntegerField(min_value=1, default=1, help_text="Which page of nodes and edges.")
    page_size = serializers.IntegerField(
        min_value=1, max_value=MAX_TRACE_PAGE, default=MAX_TRACE_PAGE, help_text="Nodes and edges per page."
    )
