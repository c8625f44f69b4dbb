"""Reads of the ledger: streaming verification and export, lot search, holders and amendments."""

import json
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Count, Q, Sum
from remelt_verify.chain import ChainVerifier, Problem, export_line
from remelt_verify.disclosure import stored_disclosures

from accounts.models import Organisation
from ledger import events
from ledger.models import Entry, LedgerHead, Lot, LotHolder, LotKind, Process, ScrapCategory, TransferItem
from ledger.visibility import Viewer, visible_lots
from ledger.vocabulary import registered_furnaces

# 2,000 rows of entries (~2 MB as text) stay inside the default work_mem of 4 MB, so PostgreSQL
# sends each fetch without spilling it to a temporary file first.
STREAM_CHUNK = 2000


def _stream(up_to: int | None = None) -> Iterator[tuple]:
    """Entries in seq order as plain tuples, fetched in chunks (server-side cursor on PostgreSQL)."""
    rows = Entry.objects.order_by("seq")
    if up_to is not None:
        rows = rows.filter(seq__lte=up_to)
    rows = rows.values_list("seq", "type", "prev_hash", "hash", "header", "payload", "disclosures")
    return rows.iterator(chunk_size=STREAM_CHUNK)


@dataclass(frozen=True)
class ChainReport:
    """What verification found: the count and head, or the first problem."""

    count: int
    head_hash: str
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def chain_verify(*, expected_head: str | None = None, progress=None) -> ChainReport:
    """Re-hash every entry in constant memory and check links, seqs and the head row.

    The head is read first and the chain is checked up to it, so appends that commit while a
    long verification runs are neither missed as a tail nor mistaken for a head mismatch.
    """
    verifier = ChainVerifier(expected_head=expected_head)
    head = LedgerHead.objects.get(pk=1)
    for seq, entry_type, prev_hash, entry_hash, header, payload, disclosures in _stream(up_to=head.seq):
        try:
            items, digests = (None, None) if disclosures is None else stored_disclosures(bytes(disclosures))
        except ValueError:
            return ChainReport(verifier.count, verifier.last_hash, Problem(seq, "disclosure", "not JSON"))
        problem = verifier.check(
            seq=seq,
            header_bytes=bytes(header),
            hash=entry_hash,
            payload_bytes=bytes(payload),
            columns={"type": entry_type, "prev_hash": prev_hash},
            # The stored disclosures are all the entry has: every item must be among them.
            disclosures=items,
            complete=True,
            disclosure_digests=digests,
        )
        if problem:
            return ChainReport(verifier.count, verifier.last_hash, problem)
        if progress and seq % 10000 == 0:
            progress(seq)
    problem = verifier.finish()
    if problem is None and (head.seq, head.hash) != (verifier.last_seq, verifier.last_hash):
        problem = Problem(
            min(head.seq, verifier.last_seq) + 1,
            "head",
            f"the head row says seq {head.seq} {head.hash}, the chain ends at seq "
            f"{verifier.last_seq} {verifier.last_hash}",
        )
    return ChainReport(verifier.count, verifier.last_hash, problem)


def chain_export(*, out, visible=None, progress=None) -> int:
    """Write the chain as JSON Lines to binary `out`; `visible(header)` False withholds a payload.

    `progress(count)` is called every 10,000 entries.
    """
    count = 0
    for _seq, _type, _prev, entry_hash, header, payload, disclosures in _stream():
        header_obj = json.loads(bytes(header))
        shown = visible is None or visible(header_obj)
        payload_obj = json.loads(bytes(payload)) if shown else None
        items = json.loads(bytes(disclosures)) if shown and disclosures is not None else None
        out.write(export_line(header=header_obj, hash=entry_hash, payload=payload_obj, disclosures=items))
        count += 1
        if progress and count % 10000 == 0:
            progress(count)
    return count


# -- lot search and recall lists (the auditor pages) ------------------------------------------

SEARCH_LIMIT = 100


@dataclass(frozen=True)
class LotSearch:
    """What a search found, best first: exact code, code prefix, then supplier matches."""

    query: str
    lots: list[Lot]
    capped: bool  # more lots matched than `lots` holds
    exact: Lot | None  # the lot whose code (or serial) is the query, ignoring case


def lot_search(*, viewer: Viewer, query: str, limit: int = SEARCH_LIMIT) -> LotSearch:
    """Lots the viewer may see whose code or serial is or starts with `query` (ignoring case),
    and scrap lots whose supplier matches it (an organisation's slug or name, or the free-text
    name of a supplier not on remelt) or whose origin contains it (a yard, a town).

    Each rank is one query cut at `limit` + 1 rows, so a short query on a big ledger costs a
    bounded read; the extra row only tells whether the list was capped.
    """
    query = query.strip()
    if not query:
        return LotSearch(query=query, lots=[], capped=False, exact=None)
    seen = visible_lots(viewer, Lot.objects.select_related("owner"))
    ranks = [
        seen.filter(code__iexact=query),
        seen.filter(code__istartswith=query),
        seen.filter(_scrap_matches(query)),
    ]
    found: dict[int, Lot] = {}
    for rank in ranks:
        for lot in rank.order_by("code")[: limit + 1]:
            found.setdefault(lot.pk, lot)
        if len(found) > limit:
            break
    lots = list(found.values())
    exact = lots[0] if lots and lots[0].code.casefold() == query.casefold() else None
    return LotSearch(query=query, lots=lots[:limit], capped=len(lots) > limit, exact=exact)


def _scrap_matches(query: str) -> Q:
    # `supplier` holds an organisation's slug (its name is looked up among the organisations
    # first), `supplier_name` the free-text name of a supplier not on remelt.
    organisations = Organisation.objects.filter(Q(slug__iexact=query) | Q(name__icontains=query))
    return Q(kind=LotKind.SCRAP) & (
        Q(supplier__in=organisations.values("slug"))
        | Q(supplier__icontains=query)
        | Q(supplier_name__icontains=query)
        | Q(origin__icontains=query)
    )


def search_examples(viewer: Viewer) -> list[str]:
    """What the viewer could type into the search: a serial, a scrap lot's code, a supplier
    and an origin of lots it holds or held (all of them for auditors), for the placeholder.

    Read from the viewer's own holder rows, not its whole reach: a few indexed rows each.
    """
    lots = Lot.objects.filter(voided=False)
    if not viewer.sees_everything:
        if viewer.organisation_id is None:
            return []
        lots = lots.filter(holders__organisation_id=viewer.organisation_id)
    scrap = lots.filter(kind=LotKind.SCRAP).exclude(category=ScrapCategory.INTERNAL).order_by("pk")
    examples = [
        lots.filter(kind=LotKind.PART).order_by("pk").values_list("code", flat=True).first(),
        scrap.values_list("code", flat=True).first(),
    ]
    supplier, name = scrap.exclude(supplier="", supplier_name="").values_list(
        "supplier", "supplier_name"
    ).first() or ("", "")
    if supplier:
        named = Organisation.objects.filter(slug=supplier).values_list("name", flat=True).first()
        examples.append(named or supplier)
    elif name:
        examples.append(name)
    origin = scrap.exclude(origin="").values_list("origin", flat=True).first()
    examples.append(origin.split(",")[0].split()[0] if origin else None)  # a word of it: "Foshan"
    return [example for example in examples if example]


def lot_holders(*, lots: list[Lot]) -> dict[int, list[Organisation]]:
    """Every organisation that holds, held or supplied each lot, in custody order: the supplier,
    the maker, then the receivers in the order of the transfers (two queries for any number).

    `lots` need `made_by` loaded. LotHolder says who; the order comes from the transfers, as
    holder rows of one event are written together in no particular order.
    """
    return holders_in_custody_order(
        [(lot.pk, lot.supplier, lot.made_by.organisation_id) for lot in lots], organisations={}
    )


def holders_in_custody_order(
    lots: list[tuple[int, str, int]], *, organisations: dict[int, Organisation]
) -> dict[int, list[Organisation]]:
    """`lot_holders` for (lot id, supplier slug, maker's organisation id) rows, in two queries
    of plain values (the ids bound as one array: `__in` of a recall's 2,000-part chunk cost more
    than the rest of its CSV); `organisations` caches the holders' organisations between calls (a recall
    reads thousands of parts held by a handful of them)."""
    holders: dict[int, list[Organisation]] = {pk: [] for pk, _supplier, _maker in lots}
    rows = list(
        LotHolder.objects.filter(lot_id__any_of=list(holders)).values_list("lot_id", "organisation_id")
    )
    missing = {organisation_id for _lot, organisation_id in rows} - set(organisations)
    if missing:
        organisations.update(Organisation.objects.in_bulk(list(missing)))
    for lot_id, organisation_id in rows:
        holders[lot_id].append(organisations[organisation_id])
    received: dict[tuple[int, int], int] = {}
    transfers = TransferItem.objects.filter(lot_id__any_of=list(holders), transfer__voided=False)
    for lot_id, organisation_id, seq in transfers.order_by("transfer_id").values_list(
        "lot_id", "transfer__to_organisation_id", "transfer_id"
    ):
        received.setdefault((lot_id, organisation_id), seq)  # the first time it came to them

    def custody(lot_id: int, supplier: str, maker: int, organisation: Organisation) -> tuple:
        if organisation.slug == supplier:
            return (0, 0, organisation.slug)
        if organisation.pk == maker:
            return (1, 0, organisation.slug)
        return (2, received.get((lot_id, organisation.pk), 0), organisation.slug)

    for lot_id, supplier, maker in lots:
        holders[lot_id].sort(
            key=lambda organisation, a=lot_id, b=supplier, c=maker: custody(a, b, c, organisation)
        )
    return holders


@dataclass(frozen=True)
class Holding:
    """What an organisation holds of one kind of lot: how many lots, their mass left, and the
    latest of them."""

    kind: str
    label: str
    lots: int
    remaining_g: int
    latest: list[Lot]


def holdings(*, organisation_id: int, latest: int = 5) -> list[Holding]:
    """The lots an organisation holds now (not voided), by kind: counts, kg left, the latest."""
    held = Lot.objects.filter(owner_id=organisation_id, voided=False)
    totals = {
        row["kind"]: row
        for row in held.order_by().values("kind").annotate(lots=Count("pk"), remaining_g=Sum("remaining_g"))
    }
    result = []
    for kind in LotKind:
        if kind.value in totals:
            recent = list(held.filter(kind=kind).order_by("-occurred_at", "-pk")[:latest])
            row = totals[kind.value]
            result.append(Holding(kind.value, kind.label, row["lots"], row["remaining_g"] or 0, recent))
    return result


@dataclass(frozen=True)
class Furnaces:
    """The furnaces a melt of one organisation may name: its installations' (`registered`, and
    then only those), or until it has one the furnaces it named in its melts before (and any
    other name). Each is (code, label)."""

    registered: bool
    furnaces: list[tuple[str, str]]


def furnaces_offered(*, organisations) -> dict[int, Furnaces]:
    """The furnaces the melt form offers each organisation, by organisation id: those of its
    registered installations once it has one, else those it named in its melts, by name."""
    ids = list(organisations.values_list("pk", flat=True))
    registered = registered_furnaces(ids)
    melts = Process.objects.filter(
        type=events.MELT_RECORDED, voided=False, organisation_id__in=[i for i in ids if i not in registered]
    )
    used: dict[int, set[str]] = defaultdict(set)
    for organisation_id, furnace in (
        melts.order_by().values_list("organisation_id", "facts__furnace").distinct()
    ):
        if isinstance(furnace, str) and furnace:
            used[organisation_id].add(furnace)
    offered = {organisation_id: Furnaces(True, furnaces) for organisation_id, furnaces in registered.items()}
    for organisation_id, names in used.items():
        offered[organisation_id] = Furnaces(False, [(name, name) for name in sorted(names)])
    return offered


# -- amendments: a lot's facts as recorded, as corrected, and the entries that corrected them --

# Facts that lot.amended corrects on the step that made a lot, for every lot it made; the
# others (grade, category, origin, alloy, chemistry, part number) belong to the named lot only.
STEP_FACTS = ("transport", "energy", "additions")


@dataclass(frozen=True)
class FactChange:
    """One fact an amendment corrected: its value before (as recorded, or as last amended)
    and after, both as the entries' payloads hold them (decimal strings, objects)."""

    fact: str
    was: object
    now: object


@dataclass(frozen=True)
class Amendment:
    """A lot.amended entry that changed facts of a lot, and what it changed."""

    entry: Entry
    reason: str
    changes: list[FactChange]


def _fact_as_recorded(lot: Lot, payload: dict, fact: str) -> object:
    """The fact as the entry that made `lot` recorded it (None if it was not given)."""
    if fact in STEP_FACTS:
        return payload.get(fact)
    if lot.category == ScrapCategory.INTERNAL and isinstance(payload.get("internal_scrap"), dict):
        return payload["internal_scrap"].get(fact)  # a part run's home scrap
    for key, name in (("outputs", "code"), ("parts", "serial")):  # a cast's ingot lots, a run's parts
        for item in payload.get(key) or ():
            if isinstance(item, dict) and item.get(name) == lot.code:
                return item.get(fact)
    return payload.get(fact)  # a scrap receipt: the lot is the payload


def lot_amendments(lot: Lot) -> list[Amendment]:
    """The amendments of the facts of `lot`, in ledger order, each with the values it replaced.

    Only the maker amends, after it made the lot; a step fact (energy, transport, additions)
    amended through any lot of the step changes it for all of them. Amendments are rare, so
    the maker's lot.amended entries since the making entry are read and their payloads matched.
    """
    making = lot.made_by
    siblings = set(Lot.objects.filter(made_by_id=making.pk).values_list("code", flat=True))
    candidates = Entry.objects.filter(
        type=events.LOT_AMENDED, organisation_id=making.organisation_id, seq__gt=making.pk
    ).order_by("seq")
    recorded: dict | None = None
    values: dict[str, object] = {}
    amendments = []
    for entry in candidates.iterator(chunk_size=200):
        payload = entry.data
        named = payload.get("lot")
        if named not in siblings:
            continue
        facts = [key for key in payload if key not in ("lot", "reason")]
        facts = [fact for fact in facts if fact in STEP_FACTS or named == lot.code]
        if not facts:
            continue
        if recorded is None:
            recorded = Entry.objects.get(seq=making.pk).data
        changes = []
        for fact in facts:
            was = values[fact] if fact in values else _fact_as_recorded(lot, recorded, fact)
            values[fact] = payload[fact]
            changes.append(FactChange(fact, was, payload[fact]))
        amendments.append(Amendment(entry=entry, reason=payload.get("reason", ""), changes=changes))
    return amendments


def grams_of(share: Fraction, mass_g: int) -> int:
    """`share` of `mass_g` grams, to the gram (halves up: exact shares, one rounding at the end)."""
    return math.floor(share * mass_g + Fraction(1, 2))
