"""Serializers of the ledger API.

An event's payload is declared once, in `ledger.shapes`: the input serializer checks a posted
event against that declaration (every field error at once, beside DRF's own errors about the
envelope), and the OpenAPI schema of each event type refers to the component schemas derived
from it. The rules of the material record live in `ledger.events` and answer through
DomainError.
"""

from collections.abc import Callable, Mapping
from datetime import datetime
from fractions import Fraction
from functools import cache

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.query import QuerySerializer, WholeNumberField
from ledger.models import LotKind
from ledger.quantities import format_kg
from ledger.selectors import lot_amendments
from ledger.services import FIRST_YEAR, LAST_YEAR, NAIVE_TIME, TIME_RANGE, event_errors
from ledger.shapes import AMOUNT_PATTERN, EVENTS, declared_elsewhere
from ledger.trace import DEFAULT_DEPTH, DOWN, MAX_DEPTH, MAX_TRACE_PAGE, UP

MAX_BATCH = 1000  # events in one POST
OCCURRED_AT_HELP = f"Business time, with its offset; in the years {FIRST_YEAR} to {LAST_YEAR} (UTC)."
# The years as written: 2000-9999, or the last day of 1999 with an offset west of UTC (its
# moment may be 2000 in UTC). The server checks the year in UTC; only the first and last hours of
# the range can pass this pattern and still be refused.
OCCURRED_AT_PATTERN = r"^(?:[2-9][0-9]{3}-|1999-12-31T)"


# -- input -----------------------------------------------------------------------------------


@extend_schema_field(
    {"type": "string", "format": "date-time", "pattern": OCCURRED_AT_PATTERN, "description": OCCURRED_AT_HELP}
)
class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that states its offset: business time without a zone is ambiguous."""

    default_error_messages = {"naive": NAIVE_TIME, "overflow": TIME_RANGE}

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
    """One event as a client posts it: DRF reads the envelope, `ledger.services.event_errors`
    checks the type, the business time and the payload against its declaration, and every
    error of both comes back at once."""

    type = serializers.CharField(help_text="One of the event types.")
    occurred_at = AwareDateTimeField(help_text=OCCURRED_AT_HELP)
    # Any JSON: the declaration of the event's type says what is wrong with it, in the same
    # words for the API, the admin and EPCIS capture.
    data = serializers.JSONField(help_text="The event's payload; see the schema of each type.")

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)  # DRF's error: not an object
        value, errors = {}, {}
        for name, envelope_field in self.fields.items():
            try:
                value[name] = envelope_field.run_validation(envelope_field.get_value(data))
            except serializers.ValidationError as exc:
                errors[name] = exc.detail
        if "type" in value:
            found = event_errors(value["type"], value.get("occurred_at"), value.get("data"))
            if "data" not in value:  # DRF has said what is wrong with it
                found = {path: messages for path, messages in found.items() if not path.startswith("data")}
            errors.update(found)
        if errors:
            raise serializers.ValidationError(errors)
        return value


# -- the OpenAPI schema of each event type, from its declaration -----------------------------


def _event_serializer(name: str, entry_type: str, summary: str, data, posted_by: tuple[str, ...]) -> type:
    roles = f"Posted by an organisation with the role {' or '.join(posted_by)}."
    return type(
        f"{name}Event",
        (serializers.Serializer,),
        {
            "__doc__": f"{summary} {roles}",
            "__module__": __name__,
            "type": serializers.ChoiceField(choices=[entry_type]),
            "occurred_at": AwareDateTimeField(help_text=OCCURRED_AT_HELP),
            "data": data,
        },
    )


@cache
def event_serializers() -> dict[str, type]:
    """The OpenAPI schema of each event type from its declaration: the ledger's own, then those
    other apps declared (ledger.shapes.declared_elsewhere). Built on first use, once every app
    has registered its own."""
    found = {}
    for entry_type, event in {**EVENTS, **declared_elsewhere()}.items():
        data_field = extend_schema_field({"$ref": f"#/components/schemas/{event.component}Data"})(
            type(f"{event.component}DataField", (serializers.DictField,), {"__module__": __name__})
        )
        found[entry_type] = _event_serializer(
            event.component, entry_type, event.summary, data_field(), event.posted_by
        )
    return found


# -- output ----------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": AMOUNT_PATTERN, "example": "1250.500"})
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
    supplier = serializers.CharField(
        help_text="Scrap: the supplier's organisation slug, if it is on remelt; else empty."
    )
    supplier_name = serializers.CharField(
        help_text="Scrap: the name of a supplier not on remelt; else empty."
    )
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


def format_share(share: Fraction | int) -> str:
    """An exact share as a decimal string with 9 places (half to even), e.g. "0.547945205".

    In integers (a trace writes a thousand): round(share * 10**9) made two Fractions each."""
    units, left = divmod(share.numerator * 10**SHARE_PLACES, share.denominator)
    if 2 * left > share.denominator or (2 * left == share.denominator and units % 2):
        units += 1
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


def _iso_8601(zone) -> Callable[[datetime], str]:
    """DRF's DateTimeField.to_representation of a lot's (aware) time, in `zone`, without its
    per-call settings and time zone lookups (a fifth of a wheel's trace)."""

    def written(value: datetime) -> str:
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return written


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
    # Nodes, edges and additions are written here as TraceNodeSerializer, TraceEdgeSerializer
    # and TraceAdditionSerializer document them (the schema names those; tests/api/test_trace.py
    # holds them equal): a trace has hundreds, and DRF's field machinery took longer per item
    # than the walk.
    edges = serializers.SerializerMethodField(
        help_text="This page's edges, by entry, then source and target."
    )
    additions = serializers.SerializerMethodField(
        help_text=(
            "up: the alloying additions of the melts walked through (with the received scrap, "
            "where the root's metal came from); down: always empty."
        ),
    )

    @extend_schema_field(TraceEdgeSerializer(many=True))
    def get_edges(self, page) -> list:
        return [
            {
                "source": edge.source,
                "target": edge.target,
                "entry": edge.seq,
                "mass_kg": format_kg(edge.mass_g),
                "share": format_share(edge.share),
            }
            for edge in page.edges
        ]

    @extend_schema_field(TraceAdditionSerializer(many=True))
    def get_additions(self, page) -> list:
        return [
            {
                "entry": addition.seq,
                "target": addition.target,
                "material": addition.material,
                "mass_kg": format_kg(addition.mass_g),
                "share": format_share(addition.share),
            }
            for addition in page.additions
        ]

    @extend_schema_field(TraceNodeSerializer(many=True))
    def get_nodes(self, page) -> list:
        # Written as TraceNodeSerializer documents them, as the edges are: DRF's fields took
        # ~0.2 ms per lot, more than the walk itself for a wheel whose trace has 500 lots.
        shares = page.trace.shares
        when = _iso_8601(serializers.DateTimeField().default_timezone())
        return [
            {
                "code": lot.code,
                "kind": lot.kind,
                "owner": lot.owner.slug,
                "mass_kg": format_kg(lot.mass_g),
                "remaining_kg": format_kg(lot.remaining_g),
                "category": lot.category,
                "grade": lot.grade,
                "alloy": lot.alloy,
                "chemistry": {str(key): str(value) for key, value in lot.chemistry.items()},
                "part_number": lot.part_number,
                "supplier": lot.supplier,
                "supplier_name": lot.supplier_name,
                "origin": lot.origin,
                "occurred_at": when(lot.occurred_at),
                "made_by": lot.made_by_id,
                "voided": lot.voided,
                "distance": distance,
                "share": format_share(shares[lot.code]),
            }
            for lot, distance in page.nodes
        ]


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
        "items": {
            "oneOf": [
                {"type": "array", "minItems": 2, "maxItems": 2, "items": {}},
                {
                    "type": "object",
                    "required": ["member", "leaf_index", "path", "disclosure"],
                    "additionalProperties": False,
                    "properties": {
                        "member": {"type": "string"},
                        "leaf_index": {"type": "integer", "minimum": 0},
                        "path": {"type": "array", "items": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
                        "disclosure": {"type": "array", "minItems": 2, "maxItems": 2, "items": {}},
                    },
                },
            ]
        },
        "description": "Where the payload commits to its items one by one (a part run's wheels, a cast's "
        "ingot lots, a transfer's lots): the disclosure `[salt, item]` of each item you may see "
        "(`remelt_verify.disclosure`). Disclosure format 2: the payload holds each member's count and "
        "the Merkle root of its items' digests (SHA-256 of the disclosure's RFC 8785 bytes); you get every "
        "disclosure bare, in order, if you may see every item, else each as `{member, leaf_index, path, "
        "disclosure}` with its inclusion path. Format 1: each item's digest is in its placeholder "
        '`{"...": digest}` and disclosures are bare. null for other entries.',
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


class FeedQuerySerializer(QuerySerializer):
    after = WholeNumberField(min_value=0, default=0, help_text="Entries with a larger seq.")
    limit = WholeNumberField(min_value=1, max_value=1000, default=100)


class TraceQuerySerializer(QuerySerializer):
    direction = serializers.ChoiceField(
        choices=[UP, DOWN], default=UP, help_text="up: back to the scrap; down: forward to the parts."
    )
    depth = WholeNumberField(min_value=1, max_value=MAX_DEPTH, default=DEFAULT_DEPTH)
    page = WholeNumberField(min_value=1, default=1, help_text="Which page of nodes and edges.")
    page_size = WholeNumberField(
        min_value=1, max_value=MAX_TRACE_PAGE, default=MAX_TRACE_PAGE, help_text="Nodes and edges per page."
    )
