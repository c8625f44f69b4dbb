"""Reads for passports: a lot's footprint versions, status and the entries behind them."""

import json
from dataclasses import dataclass

from django.db import connection
from remelt_verify import chain

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


@dataclass(frozen=True)
class EntryCheck:
    """One ledger entry behind a passport, re-hashed from its stored bytes: `problem` is empty if OK."""

    seq: int
    type: str
    hash: str
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


@dataclass(frozen=True)
class PassportProof:
    """What a passport's evidence checks to: every backing entry, and the footprint's anchor."""

    entries: list[EntryCheck]
    digest: str | None  # the current footprint version's digest
    anchor: EntryCheck | None  # the footprint.computed entry that lists that digest
    anchor_problem: str = ""

    @property
    def ok(self) -> bool:
        return (
            all(entry.ok for entry in self.entries)
            and self.anchor is not None
            and self.anchor.ok
            and (not self.anchor_problem)
        )


def _check_entry(seq: int, stored: tuple | None) -> tuple[EntryCheck, dict | None]:
    """Re-hash one entry: its header hashes to the stored hash and commits to its payload."""
    if stored is None:
        return EntryCheck(seq, "", "", "entry missing from the ledger"), None
    entry_type, stored_hash, header_bytes, payload_bytes = stored
    header_bytes, payload_bytes = bytes(header_bytes), bytes(payload_bytes)
    try:
        header = json.loads(header_bytes)
    except ValueError:
        return EntryCheck(seq, entry_type, stored_hash, "header is not JSON"), None
    if chain.entry_hash(header_bytes) != stored_hash:
        return EntryCheck(seq, entry_type, stored_hash, "header does not hash to the stored hash"), None
    if header.get("seq") != seq or header.get("type") != entry_type:
        return EntryCheck(seq, entry_type, stored_hash, "stored columns differ from the hashed header"), None
    if chain.sha256_hex(payload_bytes) != header.get("payload_sha256"):
        return EntryCheck(seq, entry_type, stored_hash, "payload differs from the digest in its header"), None
    return EntryCheck(seq, entry_type, stored_hash), json.loads(payload_bytes)


def passport_proof(document: dict | None, summary: dict) -> PassportProof:
    """Check a passport (as `passport()` returns it) against the ledger, in one query.

    Each backing entry is re-hashed from its stored header bytes (SHA-256(0x00 || header)) and
    its payload checked against the header's digest; the footprint document is re-hashed and
    must be listed, with its version, in the footprint.computed entry that anchors it.
    """
    current = next((v for v in summary["versions"] if v["superseded_at"] is None), None)
    anchor_seq = current["anchored_in"] if current else None
    seqs = {entry["seq"] for entry in summary["entries"]} | ({anchor_seq} if anchor_seq else set())
    stored = {
        seq: rest
        for seq, *rest in Entry.objects.filter(seq__in=seqs).values_list(
            "seq", "type", "hash", "header", "payload"
        )
    }
    entries = [_check_entry(entry["seq"], stored.get(entry["seq"]))[0] for entry in summary["entries"]]
    if current is None or document is None or anchor_seq is None:
        return PassportProof(entries, None, None, "no current footprint to check")
    anchor, payload = _check_entry(anchor_seq, stored.get(anchor_seq))
    problem = ""
    if chain.sha256_hex(chain.canonical(document)) != current["digest"]:
        problem = "the footprint does not hash to its version's digest"
    elif payload is None or [summary["lot"], current["version"], current["digest"]] not in payload.get(
        "footprints", []
    ):
        problem = "the footprint's digest is not listed in its anchoring entry"
    return PassportProof(entries, current["digest"], anchor, problem)
