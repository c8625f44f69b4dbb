"""Reads for passports: a lot's footprint versions, status and the entries behind them."""

from django.db import connection

from ledger.models import Entry, Lot
from passports.models import Footprint, PendingRollup
from passports.services import rollup_scope

UPSTREAM_SQL = """
WITH RECURSIVE upstream(lot_id) AS (
    SELECT CAST(%s AS BIGINT)
    UNION
    SELECT consumption.lot_id
    FROM upstream
    JOIN ledger_lot lot ON lot.id = upstream.lot_id
    JOIN ledger_consumption consumption ON consumption.process_id = lot.made_by_id
)
SELECT lot_id FROM upstream
"""


def upstream_lot_ids(lot_id: int) -> set[int]:
    """The lot and every lot whose metal went into it, in one recursive query."""
    with connection.cursor() as cursor:
        cursor.execute(UPSTREAM_SQL, [lot_id])
        return {row[0] for row in cursor.fetchall()}


def rollup_pending_for(lot: Lot) -> bool:
    """Is a roll-up queued that may change this lot's footprint?"""
    pending = list(PendingRollup.objects.values_list("entry_id", flat=True))
    if not pending:
        return False
    dirty, candidates = rollup_scope(pending)
    upstream = upstream_lot_ids(lot.pk)
    if upstream & candidates:
        return True
    return Lot.objects.filter(pk__in=upstream, made_by_id__in=dirty).exists()


def passport(lot: Lot) -> dict:
    """A part's (or ingot lot's) passport: current footprint, its history, status and anchors."""
    versions = list(
        Footprint.objects.filter(lot=lot).select_related("run__entry", "factor_set").order_by("-version")
    )
    current = next((f for f in versions if f.superseded_at is None), None)
    pending = rollup_pending_for(lot)
    upstream = upstream_lot_ids(lot.pk)
    backing = list(
        Entry.objects.filter(process__outputs__in=upstream)
        .distinct()
        .order_by("seq")
        .values_list("seq", "type", "hash")
    )
    return {
        "lot": lot.code,
        "kind": lot.kind,
        "status": "pending" if pending or (current is None and not lot.voided) else "current",
        "footprint": current.document if current else None,
        "versions": [
            {
                "version": f.version,
                "digest": f.digest,
                "ledger_seq": f.ledger_seq,
                "factor_set": f.factor_set.version,
                "anchored_in": f.run.entry_id,
                "superseded_at": f.superseded_at,
            }
            for f in versions
        ],
        "entries": [
            {"seq": seq, "type": entry_type, "hash": entry_hash} for seq, entry_type, entry_hash in backing
        ],
    }
