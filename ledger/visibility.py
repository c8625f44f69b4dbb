"""Who may see what (SPEC §5): lots, and the payloads of ledger entries.

An organisation sees the lots it holds or held (LotHolder: maker, supplier, every receiver)
and the full upstream trace of the parts it holds or held, even lots it never held itself;
auditors and the operator see everything. Whatever a viewer may not see is answered as if it
did not exist. Headers of entries are public to every partner (they carry only digests), so
that anyone can verify the whole chain.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from ledger.disclosure import item_lot, reader_disclosures
from ledger.events import ENTRY_VOIDED, LOT_AMENDED, SUPPLY_CONFIRMED
from ledger.models import Consumption, Entry, Lot, LotHolder, LotKind, TransferItem


@dataclass(frozen=True)
class FeedEntry:
    """An entry as a partner reads it: its hashed bytes parsed, the payload None if withheld.

    `disclosures` is None unless the payload commits to its items one by one; then it holds the
    disclosures of the items the reader may see, as `reader_disclosures` gives them.
    """

    seq: int
    type: str
    hash: str
    prev_hash: str
    payload_sha256: str
    header: dict
    payload: dict | None
    disclosures: list | None = None


@dataclass(frozen=True)
class Viewer:
    """Who is reading: an organisation (none for a superuser without one) and its reach."""

    organisation_id: int | None
    sees_everything: bool


def viewer_of_user(user) -> Viewer:
    """The viewer behind a signed-in person: their organisation's reach; superusers see everything."""
    organisation = user.organisation
    return Viewer(
        organisation_id=organisation.pk if organisation is not None else None,
        sees_everything=user.is_superuser or (organisation is not None and organisation.sees_everything),
    )


# Lots the organisation holds or held, and every lot upstream of a part it holds or held.
# UNION (not UNION ALL) drops rows already found, so the recursion ends on the DAG's roots.
_VISIBLE_LOT_IDS = """
WITH RECURSIVE upstream(lot_id) AS (
    SELECT holder.lot_id
      FROM {LotHolderTable} holder
      JOIN {LotTable} part ON part.id = holder.lot_id
     WHERE holder.organisation_id = %s AND part.kind = '{part}'
    UNION
    SELECT consumption.lot_id
      FROM upstream
      JOIN {LotTable} made ON made.id = upstream.lot_id
      JOIN {ConsumptionTable} consumption ON consumption.process_id = made.made_by_id
)
SELECT lot_id FROM upstream
UNION
SELECT lot_id FROM {LotHolderTable} WHERE organisation_id = %s
"""


def _visible_lot_ids_sql() -> str:
    return _VISIBLE_LOT_IDS.format(
        LotHolderTable=LotHolder._meta.db_table,
        LotTable=Lot._meta.db_table,
        ConsumptionTable=Consumption._meta.db_table,
        part=LotKind.PART.value,
    )


def visible_lot_ids_sql(viewer: Viewer) -> tuple[str, list] | None:
    """SQL selecting the ids of the lots the viewer may see, with its parameters, for raw
    queries (the trace's); None if the viewer sees everything. `visible_lots` is the same rule
    for querysets. Without an organisation, the SQL selects nothing."""
    if viewer.sees_everything:
        return None
    org = viewer.organisation_id
    return _visible_lot_ids_sql(), [org, org]


# The same rule for one lot, walked from the lot's side: it is held or was held by the
# organisation, or a part the organisation holds or held was made by a step that consumed the
# lot or a lot (not a part: parts are never consumed) made from it. A part's walk is empty, so
# asking about a wheel is two index lookups, whatever the organisation holds; the rule read from
# the organisation's side (`_VISIBLE_LOT_IDS`) walks up from every part it ever held.
_LOT_VISIBLE = """
WITH RECURSIVE downstream(lot_id) AS (
    SELECT CAST(%s AS BIGINT)
    UNION
    SELECT made.id
      FROM downstream
      JOIN {ConsumptionTable} consumption ON consumption.lot_id = downstream.lot_id
      JOIN {LotTable} made ON made.made_by_id = consumption.process_id
     WHERE made.kind <> '{part}'
)
SELECT EXISTS (SELECT 1 FROM {LotHolderTable} WHERE lot_id = %s AND organisation_id = %s)
    OR EXISTS (
        SELECT 1
          FROM downstream
          JOIN {ConsumptionTable} consumption ON consumption.lot_id = downstream.lot_id
          JOIN {LotTable} part ON part.made_by_id = consumption.process_id AND part.kind = '{part}'
          JOIN {LotHolderTable} holder ON holder.lot_id = part.id AND holder.organisation_id = %s
    )
"""


def lot_visible(viewer: Viewer, lot: Lot) -> bool:
    """May the viewer see this one lot? The rule of `visible_lots`, in one statement that walks
    down from the lot rather than up from everything the organisation holds."""
    if viewer.sees_everything:
        return True
    if viewer.organisation_id is None:
        return False
    return _lot_id_visible(viewer.organisation_id, lot.pk)


def _lot_id_visible(organisation_id: int, lot_id: int) -> bool:
    sql = _LOT_VISIBLE.format(
        LotHolderTable=LotHolder._meta.db_table,
        LotTable=Lot._meta.db_table,
        ConsumptionTable=Consumption._meta.db_table,
        part=LotKind.PART.value,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [lot_id, lot_id, organisation_id, organisation_id])
        return bool(cursor.fetchone()[0])


# Lots not held that `visible_among` decides one by one (a walk down from each); past this many,
# the walk up from everything the organisation holds is made once instead.
WALKS_DOWN = 64


def visible_among(viewer: Viewer, lots: Iterable[tuple[int, str]]) -> set[int]:
    """The ids among these (id, kind) lots that the viewer may see: the rule of `visible_lots`
    for a given few. A lot the organisation holds or held is one index probe; a part is upstream
    of no lot, so one it never held is hidden; any other lot is walked down from (`lot_visible`).
    Selecting every lot an automaker may see walks up from each of its hundreds of thousands of
    wheels: seconds, for the few lots of an evidence bundle's entries."""
    kinds = dict(lots)
    if viewer.sees_everything:
        return set(kinds)
    if viewer.organisation_id is None or not kinds:
        return set()
    org = viewer.organisation_id
    held = LotHolder.objects.filter(organisation_id=org, lot_id__any_of=list(kinds))
    held = set(held.values_list("lot_id", flat=True))
    undecided = [pk for pk, kind in kinds.items() if pk not in held and kind != LotKind.PART]
    if len(undecided) > WALKS_DOWN:
        walked = visible_lots(viewer, Lot.objects.filter(pk__any_of=undecided)).values_list("pk", flat=True)
        return held | set(walked)
    return held | {pk for pk in undecided if _lot_id_visible(org, pk)}


def visible_lots(viewer: Viewer, lots: QuerySet[Lot] | None = None) -> QuerySet[Lot]:
    """`lots` (all lots by default) narrowed to those the viewer may see."""
    lots = Lot.objects.all() if lots is None else lots
    if viewer.sees_everything:
        return lots
    if viewer.organisation_id is None:
        return lots.none()
    org = viewer.organisation_id
    return lots.filter(pk__in=RawSQL(_visible_lot_ids_sql(), [org, org]))  # noqa: S611 - constant SQL, bound id


def visible_parts(viewer: Viewer, parts: QuerySet[Lot]) -> QuerySet[Lot]:
    """`parts` (a queryset of parts only) narrowed to those the viewer may see: the rule of
    `visible_lots`, which for a part comes down to its holders. A part is never consumed, so it is
    upstream of no lot but itself: a viewer sees it exactly when it holds or held it, and a
    recall of thousands of parts need not walk up from everything the viewer ever held."""
    if viewer.sees_everything:
        return parts
    if viewer.organisation_id is None:
        return parts.none()
    return parts.filter(
        pk__in=LotHolder.objects.filter(organisation_id=viewer.organisation_id).values("lot_id")
    )


def visible_payloads(viewer: Viewer, entries: Iterable[Entry]) -> set[int]:
    """The seqs among `entries` whose payload the viewer may read.

    A payload is visible to the organisation that posted it and to whoever may see a lot
    the entry made or moved, or a lot made by the entry an amendment corrects, or the lot a
    supplier's confirmation names (a void shows to whoever may see what it withdrew).
    System entries (no organisation) show to auditors and the operator only.
    """
    entries = list(entries)
    if viewer.sees_everything:
        return {entry.seq for entry in entries}
    if viewer.organisation_id is None:
        return set()
    visible = {entry.seq for entry in entries if entry.organisation_id == viewer.organisation_id}
    pending = {entry.seq for entry in entries} - visible
    amended = {}
    voided = {}
    confirmed = {}
    for entry in entries:
        if entry.seq not in pending:
            continue
        if entry.type == LOT_AMENDED:
            amended[entry.seq] = _payload_value(entry, "lot")
        elif entry.type == SUPPLY_CONFIRMED:
            confirmed[entry.seq] = _payload_value(entry, "lot")
        elif entry.type == ENTRY_VOIDED:
            voided[entry.seq] = _payload_value(entry, "seq")
    visible |= _entries_touching_visible_lots(viewer, pending | set(voided.values()) - {None})
    if amended:
        # An amendment corrects the entry that made the lot it names: it shows to whoever may
        # see any lot of that entry (a run's energy, amended through one wheel, is every wheel's).
        makers = dict(Lot.objects.filter(code__in=set(amended.values())).values_list("code", "made_by_id"))
        seen_makers = {seq for seq, _code in _touched_visible(viewer, set(makers.values()))}
        visible |= {seq for seq, code in amended.items() if makers.get(code) in seen_makers}
    if confirmed:
        # A supplier's confirmation shows to whoever may see the lot it confirms.
        named = Lot.objects.filter(code__in=set(confirmed.values())).values_list("pk", "kind", "code")
        codes = {pk: code for pk, _kind, code in named}
        seen = {codes[pk] for pk in visible_among(viewer, [(pk, kind) for pk, kind, _code in named])}
        visible |= {seq for seq, code in confirmed.items() if code in seen}
    visible |= {seq for seq, target in voided.items() if target in visible}
    return visible & {entry.seq for entry in entries}


def _payload_value(entry: Entry, key: str):
    try:
        return json.loads(bytes(entry.payload)).get(key)
    except (ValueError, AttributeError):
        return None


def _entries_touching_visible_lots(viewer: Viewer, seqs: set) -> set[int]:
    """Of the given seqs, those of entries that made or moved a lot the viewer may see."""
    return {seq for seq, _code in _touched_visible(viewer, seqs)}


# Lots made or moved by the entries asked about that `_touched_visible` decides by
# `visible_among`; past this many (a feed page of big transfers), every lot the viewer may see
# is selected once and joined to them in the database.
LOTS_BY_ID = 20_000


def _touched_visible(viewer: Viewer, seqs: set) -> set[tuple[int, str]]:
    """(seq, code) of each lot that an entry of `seqs` made or moved and the viewer may see."""
    if not seqs:
        return set()
    made = Lot.objects.filter(made_by_id__in=seqs)
    moved = TransferItem.objects.filter(transfer_id__in=seqs)
    if made.count() + moved.count() > LOTS_BY_ID:
        seen = visible_lots(viewer).values("pk")
        return {
            *made.filter(pk__in=seen).values_list("made_by_id", "code"),
            *moved.filter(Q(lot__in=seen)).values_list("transfer_id", "lot__code"),
        }
    rows = [
        *made.values_list("made_by_id", "pk", "code", "kind"),
        *moved.values_list("transfer_id", "lot_id", "lot__code", "lot__kind"),
    ]
    seen_ids = visible_among(viewer, [(pk, kind) for _seq, pk, _code, kind in rows])
    return {(seq, code) for seq, pk, code, _kind in rows if pk in seen_ids}


def disclosures_for(viewer: Viewer, entries: Iterable[Entry], shown: set[int]) -> dict[int, list]:
    """For each entry of `shown` that commits to its items one by one, the disclosures of the
    items the viewer may see: all of them for the poster, auditors and the operator; for others
    those of the lots (made or moved by the entry) that `visible_lots` lets them see.
    """
    committed = [entry for entry in entries if entry.seq in shown and entry.disclosures is not None]
    parsed = {entry.seq: json.loads(bytes(entry.disclosures)) for entry in committed}
    if viewer.sees_everything:
        return parsed
    others = {entry.seq for entry in committed if entry.organisation_id != viewer.organisation_id}
    if not others:
        return parsed
    codes = {code for _seq, code in _touched_visible(viewer, others)}
    return {
        seq: items if seq not in others else [item for item in items if item_lot(item[1]) in codes]
        for seq, items in parsed.items()
    }


def entries_feed(*, viewer: Viewer, after: int, limit: int) -> list[FeedEntry]:
    """Up to `limit` entries with seq > `after`, in order, payloads withheld where not visible.

    Appends commit in seq order (they queue on the head row), so what a reader sees is always
    a gapless prefix of the chain and a cursor on seq never skips an entry.
    """
    entries = list(Entry.objects.filter(seq__gt=after).order_by("seq")[:limit])
    shown = visible_payloads(viewer, entries)
    disclosed = disclosures_for(viewer, entries, shown)
    fed = []
    for entry in entries:
        payload = json.loads(bytes(entry.payload)) if entry.seq in shown else None
        fed.append(
            FeedEntry(
                seq=entry.seq,
                type=entry.type,
                hash=entry.hash,
                prev_hash=entry.prev_hash,
                payload_sha256=entry.payload_sha256,
                header=json.loads(bytes(entry.header)),
                payload=payload,
                disclosures=(
                    reader_disclosures(payload, bytes(entry.disclosures), disclosed[entry.seq])
                    if entry.seq in disclosed
                    else None
                ),
            )
        )
    return fed
