"""Reading the ledger as EPCIS events: the event index, queries, traces.

Events are computed from the entries (epcis.mapping) whenever they are read; the index
(`IndexedEvent`) only records, per entry, the events' IDs, times and bizSteps and what an
amendment or void corrects, so that queries by eventID, time or bizStep read a few rows rather
than the whole ledger. It follows the ledger's seq with a cursor and catches up at the start of
every read (and of every capture), under the cursor row's lock, so it never misses an entry and
two readers never index the same one.
"""

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Organisation
from epcis import identifiers
from epcis.gs1 import canonical_digital_link
from epcis.mapping import MAKING, History, LedgerEntry, Names, amended, content_hash, entry_events
from epcis.models import IndexCursor, IndexedEvent, LotIdentifier
from ledger.disclosure import item_lot
from ledger.errors import DomainError
from ledger.events import (
    CUSTODY_TRANSFERRED,
    ENTRY_VOIDED,
    EVENT_TYPES,
    INGOTS_CAST,
    LOT_AMENDED,
    MELT_RECORDED,
    PARTS_PRODUCED,
)
from ledger.models import Consumption, Entry, LedgerHead, Lot, LotKind, Process, TransferItem
from ledger.trace import lot_trace
from ledger.visibility import Viewer, disclosures_for, visible_lots, visible_payloads

INDEX_CHUNK = 500
MAX_PER_PAGE = 1000
CORRECTIONS = (LOT_AMENDED, ENTRY_VOIDED)


def _epcis_visible(viewer: Viewer, entries) -> set[int]:
    """The entries shown as EPCIS events: those whose payload the viewer may read, less the
    amendments of lots it may not see. An evidence bundle carries such an amendment (a run's
    energy amended through another holder's wheel changes every wheel's footprint), but as an
    EPCIS error declaration it would name that wheel and its corrected facts."""
    entries = list(entries)
    shown = visible_payloads(viewer, entries)
    if viewer.sees_everything:
        return shown
    amendments = {e.seq: e.data.get("lot") for e in entries if e.seq in shown and e.type == LOT_AMENDED}
    if not amendments:
        return shown
    seen = set(
        visible_lots(viewer, Lot.objects.filter(code__in=set(amendments.values()))).values_list(
            "code", flat=True
        )
    )
    return shown - {seq for seq, code in amendments.items() if code not in seen}


def ledger_entry(entry: Entry) -> LedgerEntry:
    return LedgerEntry(
        seq=entry.seq,
        hash=entry.hash,
        type=entry.type,
        org=entry.organisation.slug if entry.organisation_id else None,
        occurred_at=entry.occurred_at,
        recorded_at=entry.recorded_at,
        data=entry.data,  # every item revealed; readers are narrowed to theirs by `_only`
    )


class Resolver:
    """Identifiers, parties, transfers and histories for mapping a batch of entries, read in a
    few queries per batch rather than per entry."""

    def __init__(self, viewer: Viewer | None = None) -> None:
        self.viewer = viewer  # None: every item of every entry (the index)
        self._items: dict[int, set[str] | None] = {}  # seq -> the item codes the viewer may see
        self._lots: dict[str, tuple[str, str]] = {}  # code -> (kind, identifier)
        self._orgs: set[str] | None = None
        self._moved: dict[int, dict[str, int]] = {}
        self._entries: dict[int, LedgerEntry] = {}
        self._chains: dict[int, list[int]] = {}  # making seq -> amendment seqs, in order
        self.names = Names(lot=self.lot, is_part=self.is_part, party=self.party, transferred=self.transferred)

    # -- Names --------------------------------------------------------------------------------

    def lot(self, code: str) -> str:
        return self._lot(code)[1]

    def is_part(self, code: str) -> bool:
        return self._lot(code)[0] == LotKind.PART

    def _lot(self, code: str) -> tuple[str, str]:
        if code not in self._lots:
            self.load_lots([code])
        return self._lots[code]

    def load_lots(self, codes: Iterable[str]) -> None:
        codes = set(codes) - set(self._lots)
        if not codes:
            return
        kinds = dict(Lot.objects.filter(code__in=codes).values_list("code", "kind"))
        stored = dict(LotIdentifier.objects.filter(code__in=codes).values_list("code", "uri"))
        for code in codes:
            kind = kinds.get(code, LotKind.SCRAP)
            default = identifiers.serial_urn(code) if kind == LotKind.PART else identifiers.lot_urn(code)
            self._lots[code] = (kind, stored.get(code, default))

    def party(self, supplier: str) -> str:
        if self._orgs is None:
            self._orgs = set(Organisation.objects.values_list("slug", flat=True))
        return identifiers.org_urn(supplier) if supplier in self._orgs else identifiers.party_urn(supplier)

    def transferred(self, seq: int) -> dict[str, int]:
        if seq not in self._moved:
            self._load_moved([seq])
        return self._moved[seq]

    def _load_moved(self, seqs: Iterable[int]) -> None:
        seqs = set(seqs) - set(self._moved)
        for seq in seqs:
            self._moved[seq] = {}
        rows = TransferItem.objects.filter(transfer_id__in=seqs).values_list(
            "transfer_id", "lot__code", "mass_g"
        )
        for seq, code, grams in rows:
            self._moved[seq][code] = grams

    # -- histories ----------------------------------------------------------------------------

    def entry(self, seq: int) -> LedgerEntry | None:
        """The entry as the viewer may see it (None if it may see none of its items)."""
        if seq not in self._entries:
            self._load_entries([seq])
        return self._entries[seq]

    def _load_entries(self, seqs: Iterable[int]) -> None:
        seqs = set(seqs) - set(self._entries)
        entries = list(Entry.objects.filter(seq__in=seqs).select_related("organisation"))
        self.load_items(entries, {entry.seq for entry in entries})
        for entry in entries:
            self._entries[entry.seq] = _only(ledger_entry(entry), self._items.get(entry.seq))

    def load_items(self, entries: list[Entry], shown: set[int]) -> None:
        """Which items of entries that commit to theirs one by one the viewer may see."""
        if self.viewer is None:
            return
        for seq, disclosed in disclosures_for(self.viewer, entries, shown).items():
            self._items[seq] = {item_lot(item) for _salt, item in disclosed}

    def target(self, entry: LedgerEntry) -> int:
        """The entry an amendment or void corrects."""
        if entry.type == ENTRY_VOIDED:
            return entry.data["seq"]
        return Lot.objects.values_list("made_by_id", flat=True).get(code=entry.data["lot"])

    def history(self, seq: int) -> History | LedgerEntry | None:
        """What the amendment or void at `seq` applies to, as it stood before it (None if the
        viewer may see none of its items)."""
        entry = self.entry(seq)
        target = self.target(entry)
        making = self.entry(target)
        if making is None:
            return None
        if making.type not in MAKING:
            return making  # a custody transfer, voided
        if target not in self._chains:
            rows = IndexedEvent.objects.filter(target_seq=target, entry_type=LOT_AMENDED, position=0)
            self._chains[target] = list(rows.order_by("seq").values_list("seq", flat=True))
        chain = [s for s in self._chains[target] if s < seq]
        if entry.type == LOT_AMENDED:
            chain.append(seq)
        self._load_entries(chain)
        return History(making=making, amendments=[self._entries[s] for s in chain])

    def indexed(self, entry: LedgerEntry, target: int) -> None:
        """Note an amendment just indexed, for the histories of later entries of the same batch."""
        if entry.type == LOT_AMENDED and target in self._chains:
            self._chains[target].append(entry.seq)

    def prepare(self, entries: list[LedgerEntry]) -> None:
        """Read what mapping these entries will ask for, in one query per kind."""
        codes, transfers = set(), []
        for entry in entries:
            self._entries.setdefault(entry.seq, _only(entry, self._items.get(entry.seq)))
            data = entry.data
            codes.update(item["lot"] for item in data.get("inputs", []))
            codes.update(item["code"] for item in data.get("outputs", []))
            codes.update(item["serial"] for item in data.get("parts", []))
            if entry.type == CUSTODY_TRANSFERRED:
                codes.update(data["lots"])
                transfers.append(entry.seq)
            for key in ("code", "lot"):
                if isinstance(data.get(key), str):
                    codes.add(data[key])
            if isinstance(data.get("internal_scrap"), dict):
                codes.add(data["internal_scrap"]["code"])
        self.load_lots(codes)
        self._load_moved(transfers)

    def events(self, entry: LedgerEntry) -> list[dict]:
        """The entry's events, with only the items the viewer may see (none if it sees none)."""
        entry = _only(entry, self._items.get(entry.seq))
        if entry is None:
            return []
        return entry_events(entry, self.names, self.history)


def _only(entry: LedgerEntry, codes: set[str] | None) -> LedgerEntry | None:
    """The entry with only the items (wheels, internal scrap, ingot lots, lots moved) in `codes`;
    None if no item is left. `codes` None: all of them."""
    if codes is None:
        return entry
    data = dict(entry.data)
    if entry.type == PARTS_PRODUCED:
        data["parts"] = [part for part in data["parts"] if part["serial"] in codes]
        if data.get("internal_scrap") and data["internal_scrap"]["code"] not in codes:
            del data["internal_scrap"]
        left = data["parts"] or data.get("internal_scrap")
    elif entry.type == INGOTS_CAST:
        data["outputs"] = left = [item for item in data["outputs"] if item["code"] in codes]
    elif entry.type == CUSTODY_TRANSFERRED:
        data["lots"] = left = [code for code in data["lots"] if code in codes]
    else:
        return entry
    if not left:
        return None
    return LedgerEntry(**{**entry.__dict__, "data": data})


# -- the index --------------------------------------------------------------------------------


def index_catch_up() -> int:
    """Index the events of every entry appended since the last catch-up; returns the cursor."""
    head = LedgerHead.objects.values_list("seq", flat=True).get(pk=1)
    while True:
        with transaction.atomic():
            cursor, _created = IndexCursor.objects.get_or_create(pk=1)
            cursor = IndexCursor.objects.select_for_update().get(pk=1)  # one indexer at a time
            if cursor.seq >= head:
                return cursor.seq
            rows = Entry.objects.filter(seq__gt=cursor.seq, seq__lte=head).select_related("organisation")
            entries = [ledger_entry(entry) for entry in rows.order_by("seq")[:INDEX_CHUNK]]
            resolver = Resolver()
            resolver.prepare(entries)
            indexed = []
            for entry in entries:
                if entry.type not in EVENT_TYPES:
                    continue
                target = resolver.target(entry) if entry.type in CORRECTIONS else entry.seq
                for position, event in enumerate(resolver.events(entry)):
                    indexed.append(_indexed(entry, position, event, target))
                resolver.indexed(entry, target)
            IndexedEvent.objects.bulk_create(indexed, ignore_conflicts=True)
            cursor.seq = entries[-1].seq
            cursor.save(update_fields=["seq"])


def _indexed(entry: LedgerEntry, position: int, event: dict, target: int) -> IndexedEvent:
    return IndexedEvent(
        seq=entry.seq,
        position=position,
        entry_type=entry.type,
        event_id=event["eventID"],
        content_hash=content_hash(event),
        event_type=event["type"],
        event_time=datetime.fromisoformat(event["eventTime"]),
        biz_step=event.get("bizStep", ""),
        target_seq=target,
    )


# -- queries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventQuery:
    """The REST binding's query parameters remelt answers (lists are ORs)."""

    biz_steps: list[str] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    epcs: list[str] = field(default_factory=list)
    epc_classes: list[str] = field(default_factory=list)
    since: datetime | None = None  # GE_eventTime
    until: datetime | None = None  # LT_eventTime


@dataclass(frozen=True)
class EventPage:
    events: list[dict]
    next_token: str | None


def page_token(seq: int, position: int) -> str:
    return base64.urlsafe_b64encode(f"{seq}.{position}".encode()).decode().rstrip("=")


def read_page_token(token: str) -> tuple[int, int]:
    try:
        seq, position = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split(".")
        return int(seq), int(position)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        message = _("not a page token of this query")
        raise DomainError("unknown_page_token", message, field="nextPageToken") from None


def events_query(*, viewer: Viewer, query: EventQuery, per_page: int, token: str | None = None) -> EventPage:
    """One page of the events the viewer may see that match `query`, in ledger order."""
    index_catch_up()
    rows = IndexedEvent.objects.order_by("seq", "position")
    if token:
        seq, position = read_page_token(token)
        rows = rows.filter(Q(seq__gt=seq) | Q(seq=seq, position__gt=position))
    if query.biz_steps:
        rows = rows.filter(biz_step__in=query.biz_steps)
    if query.event_ids:
        rows = rows.filter(event_id__in=query.event_ids)
    if query.since:
        rows = rows.filter(event_time__gte=query.since)
    if query.until:
        rows = rows.filter(event_time__lt=query.until)
    if query.epcs:
        rows = rows.filter(target_seq__in=_seqs_naming(query.epcs, parts=True))
    if query.epc_classes:
        rows = rows.filter(target_seq__in=_seqs_naming(query.epc_classes, parts=False))
    events: list[dict] = []
    resolver = Resolver(viewer)
    last = None
    # Rows are read a page at a time; the viewer's visibility is decided per entry of a page.
    while len(events) < per_page:
        batch = list(rows.filter(_after(last)).values_list("seq", "position")[: per_page * 2])
        if not batch:
            return EventPage(events, None)
        seqs = sorted({seq for seq, _ in batch})
        entries = {e.seq: e for e in Entry.objects.filter(seq__in=seqs).select_related("organisation")}
        shown = _epcis_visible(viewer, entries.values())
        resolver.load_items(list(entries.values()), shown)
        mapped = [ledger_entry(entries[seq]) for seq in seqs if seq in shown]
        resolver.prepare(mapped)
        by_seq = {entry.seq: resolver.events(entry) for entry in mapped}
        for seq, position in batch:
            last = (seq, position)
            if position < len(by_seq.get(seq, ())):
                events.append(by_seq[seq][position])
                if len(events) == per_page:
                    break
    more = rows.filter(_after(last)).exists()
    return EventPage(events, page_token(*last) if more else None)


def _after(last: tuple[int, int] | None) -> Q:
    if last is None:
        return Q()
    seq, position = last
    return Q(seq__gt=seq) | Q(seq=seq, position__gt=position)


def lot_of_uri(uri: str, holder: Organisation | None = None) -> str | None:
    """The lot code an identifier names (remelt URN, stored GS1 EPC URI or its Digital Link).

    With `holder` (a capture's poster), a stored identifier names only a lot it holds or held:
    any other is answered as one nobody stored, in the same one query (no existence oracle)."""
    for prefix in (identifiers.LOT, identifiers.SERIAL):
        code = identifiers.remelt_name(uri, prefix)
        if code is not None:
            return code
    link = canonical_digital_link(uri)
    stored = LotIdentifier.objects.filter(Q(uri=uri) | Q(digital_link=link or uri))
    if holder is not None and not holder.sees_everything:
        stored = stored.filter(code__in=Lot.objects.filter(holders__organisation=holder).values("code"))
    found = stored.first()
    return found.code if found else None


def _seqs_naming(uris: list[str], *, parts: bool) -> set[int]:
    """The seqs of the making, consuming and transfer entries whose events list one of `uris`."""
    codes = {code for code in map(lot_of_uri, uris) if code}
    lots = Lot.objects.filter(code__in=codes)
    lots = lots.filter(kind=LotKind.PART) if parts else lots.exclude(kind=LotKind.PART)
    ids = list(lots.values_list("pk", flat=True))
    seqs = set(lots.values_list("made_by_id", flat=True))
    seqs |= set(Consumption.objects.filter(lot_id__in=ids).values_list("process_id", flat=True))
    seqs |= set(TransferItem.objects.filter(lot_id__in=ids).values_list("transfer_id", flat=True))
    if not parts:
        materials = {identifiers.remelt_name(uri, identifiers.MATERIAL) for uri in uris} - {None}
        if materials:
            for seq, facts in Process.objects.filter(type=MELT_RECORDED).values_list("entry_id", "facts"):
                if materials & {addition["material"] for addition in facts.get("additions", [])}:
                    seqs.add(seq)
    return seqs


def trace_events(*, lot: Lot, viewer: Viewer, direction: str, depth: int) -> list[dict]:
    """The events behind a lot's trace: the making entries of every lot reached, their
    corrections and the custody transfers of those lots, in ledger order. A trace too large is
    refused (ledger.trace.TraceTooLarge), never cut."""
    index_catch_up()
    trace = lot_trace(lot=lot, viewer=viewer, direction=direction, depth=depth)
    lot_ids = [node.pk for node, _distance in trace.nodes]
    making = {node.made_by_id for node, _distance in trace.nodes}
    transfers = set(TransferItem.objects.filter(lot_id__in=lot_ids).values_list("transfer_id", flat=True))
    corrections = set(
        IndexedEvent.objects.filter(
            target_seq__in=making | transfers, entry_type__in=CORRECTIONS
        ).values_list("seq", flat=True)
    )
    seqs = sorted(making | transfers | corrections)
    entries = list(Entry.objects.filter(seq__in=seqs).select_related("organisation").order_by("seq"))
    shown = _epcis_visible(viewer, entries)
    mapped = [ledger_entry(entry) for entry in entries if entry.seq in shown]
    resolver = Resolver(viewer)
    resolver.load_items(entries, shown)
    resolver.prepare(mapped)
    return [event for entry in mapped for event in resolver.events(entry)]


def current_version(target: int) -> tuple[str, dict] | None:
    """The type and payload of making entry `target` with every amendment indexed so far applied;
    None if `target` made no lots."""
    making = Entry.objects.filter(seq=target).first()
    if making is None or making.type not in MAKING:
        return None
    data = making.data
    chain = IndexedEvent.objects.filter(target_seq=target, entry_type=LOT_AMENDED, position=0).order_by("seq")
    for amendment in Entry.objects.filter(seq__in=chain.values("seq")).order_by("seq"):
        data = amended(making.type, data, amendment.data)
    return making.type, data
