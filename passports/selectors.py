"""Reads for passports: a lot's footprint versions, status, the entries behind them, and the
Merkle proofs that tie footprint versions and carbon states to their anchors."""

import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Q
from remelt_verify import carbon, chain
from remelt_verify.steps import state_leaf

from ledger.models import Consumption, Entry, Lot, LotKind, Process
from passports import anchor
from passports.models import AnchorNode, CarbonState, Footprint, PendingRollup, RollupRun
from passports.services import _member, rollup_scope

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
    if lot.pk in candidates or lot.made_by_id in dirty:
        return True  # the lot's own step or custody is queued: no need to walk up
    upstream = upstream_lot_ids(lot.pk)
    if upstream & candidates:
        return True
    return Lot.objects.filter(pk__in=upstream, made_by_id__in=dirty).exists()


def step_entry_seqs(lot: Lot):
    """The seqs of the entries of a lot's own step, as a subquery: the entry that made it and
    those that made what that entry consumed. Bounded by the step's inputs, whatever the plant's
    history (home scrap remelted daily puts every earlier melt upstream of a wheel); the trace,
    the inputs' own passports and the evidence bundle go further up."""
    inputs = Consumption.objects.filter(process_id=lot.made_by_id).values("lot__made_by_id")
    return Entry.objects.filter(Q(seq=lot.made_by_id) | Q(seq__in=inputs)).values("seq")


def passport(lot: Lot, *, entries: bool = True) -> dict:
    """A part's (or ingot lot's) passport: current footprint, its history, status and anchors,
    and the entries of its own step (`step_entry_seqs`); without `entries` that list is empty.

    A fixed number of queries that read the lot's own rows and its step's, never its upstream:
    the status walks up only while a roll-up is queued (`rollup_pending_for`)."""
    versions = list(
        Footprint.objects.filter(lot=lot)
        .select_related("lot", "state", "run__entry", "run__factor_set")
        .order_by("-version")
    )
    current = next((f for f in versions if f.superseded_at is None), None)
    pending = rollup_pending_for(lot)
    backing = []
    if entries:
        backing = list(
            Entry.objects.filter(seq__in=step_entry_seqs(lot))
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
                "leaf_index": f.leaf_index,
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


def passport_proof(document: dict | None, summary: dict, seqs: list[int] | None = None) -> PassportProof:
    """Check a passport (as `passport()` returns it) against the ledger.

    `seqs` are the entries to show (the passport page passes those of the evidence bundle,
    `passports.evidence.evidence_entry_seqs`); by default those that made the lot and its
    upstream. Each is re-hashed from its stored header bytes (SHA-256(0x00 || header)) and
    its payload checked against the header's digest; the footprint document is re-hashed and
    must be committed by the footprint.computed entry that anchors it: by its Merkle proof to
    the root in the entry's payload (anchor format 2), or listed with its version (format 1).
    """
    current = next((v for v in summary["versions"] if v["superseded_at"] is None), None)
    anchor_seq = current["anchored_in"] if current else None
    shown = [entry["seq"] for entry in summary["entries"]] if seqs is None else list(seqs)
    stored = {
        seq: rest
        for seq, *rest in Entry.objects.filter(seq__in={*shown, anchor_seq} - {None}).values_list(
            "seq", "type", "hash", "header", "payload"
        )
    }
    entries = [_check_entry(seq, stored.get(seq))[0] for seq in shown]
    if current is None or document is None or anchor_seq is None:
        return PassportProof(entries, None, None, "no current footprint to check")
    anchor_entry, payload = _check_entry(anchor_seq, stored.get(anchor_seq))
    problem = ""
    if chain.sha256_hex(chain.canonical(document)) != current["digest"]:
        problem = "the footprint does not hash to its version's digest"
    elif payload is None:
        problem = "the anchoring entry does not check out"
    elif not anchor_commits(payload, summary["lot"], current["version"], current["digest"], current):
        problem = "the footprint's digest is not committed by its anchoring entry"
    return PassportProof(entries, current["digest"], anchor_entry, problem)


def anchor_commits(payload: dict, code: str, version: int, digest: str, listed: dict) -> bool:
    """Does an anchor's payload commit to version `version` of lot `code` with `digest`?

    Format 2: the version's leaf proof (from the stored rows) reaches the payload's root;
    format 1: the payload lists it. `listed` is the version as `passport()` lists it.
    """
    if payload.get("anchor") == anchor.ANCHOR_FORMAT:
        if listed.get("leaf_index") is None:
            return False
        footprint = Footprint.objects.select_related("run__entry").get(
            lot__code=code, version=version, run__entry_id=listed["anchored_in"]
        )
        proof = footprint_proof(footprint)
        return proof.leaf == anchor.footprint_leaf(code, version, digest) and proof.verifies()
    return [code, version, digest] in payload.get("footprints", [])


# ---------------------------------------------------------------------------------------------
# Proofs of anchor format 2


def _tree_root(run: RollupRun, tree: str) -> tuple[int, bytes]:
    """(count, root) of one of a run's trees, as its anchor entry's payload commits to them."""
    if run.entry_id is None:
        raise ValueError(f"roll-up {run.pk} has no anchor entry")
    committed = run.entry.data[tree]
    return committed["count"], bytes.fromhex(committed["root"])


def _stored_nodes(run: RollupRun, tree: int):
    def read(keys: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        rows = AnchorNode.objects.filter(run=run, tree=tree, level__in={level for level, _ in keys})
        rows = rows.filter(index__in={index for _, index in keys})
        return {
            (level, index): bytes(node)
            for level, index, node in rows.values_list("level", "index", "hash")
            if (level, index) in keys
        }

    return read


def footprint_proof(footprint: Footprint) -> anchor.LeafProof:
    """The leaf of a footprint version (anchor format 2) and its inclusion proof in the run's
    `footprints` tree, whose size and root come from the anchor entry's payload.

    A fixed number of queries: the needed stored nodes, and at most two chunks of 256 leaves.
    Raises ValueError for a version of format 1, which its anchor lists instead.
    """
    if footprint.leaf_index is None:
        raise ValueError(f"{footprint} was anchored in format 1: its anchor lists it")
    run = footprint.run
    count, root = _tree_root(run, "footprints")

    def leaves(start: int, end: int) -> list[bytes]:
        rows = Footprint.objects.filter(run=run, leaf_index__gte=start, leaf_index__lt=end)
        return [
            anchor.footprint_leaf(code, version, digest)
            for code, version, digest in rows.order_by("leaf_index").values_list(
                "lot__code", "version", "digest"
            )
        ]

    path = anchor.inclusion_path(
        footprint.leaf_index, count, leaves, _stored_nodes(run, AnchorNode.Tree.FOOTPRINTS)
    )
    leaf = anchor.footprint_leaf(footprint.lot.code, footprint.version, footprint.digest)
    return anchor.LeafProof(run.entry_id, "footprints", leaf, footprint.leaf_index, count, root, path)


def state_proof(state: CarbonState) -> anchor.LeafProof:
    """The leaf of a carbon state and its inclusion proof in its run's `states` tree."""
    run = state.run
    count, root = _tree_root(run, "states")

    def leaves(start: int, end: int) -> list[bytes]:
        rows = CarbonState.objects.filter(run=run, leaf_index__gte=start, leaf_index__lt=end)
        return [state_leaf(row.process_id, _member(row)) for row in rows.order_by("leaf_index")]

    path = anchor.inclusion_path(state.leaf_index, count, leaves, _stored_nodes(run, AnchorNode.Tree.STATES))
    leaf = state_leaf(state.process_id, _member(state))
    return anchor.LeafProof(run.entry_id, "states", leaf, state.leaf_index, count, root, path)


def lot_state(lot: Lot, *, at_seq: int | None = None) -> CarbonState | None:
    """The carbon state of the entry that made `lot` as it stood at ledger seq `at_seq` (the
    latest state of a roll-up that had seen no further; default: the current one)."""
    states = CarbonState.objects.filter(process_id=lot.made_by_id).select_related("run__entry")
    if at_seq is None:
        return states.filter(superseded_at__isnull=True).first()
    return states.filter(run__ledger_seq__lte=at_seq).order_by("-version").first()


def lot_carbons(lots) -> dict[int, carbon.Carbon]:
    """The carbon at making of each of these lots that has one (its making entry's current
    state), by lot id, in two queries."""
    lots = list(lots)
    states = {
        row.process_id: row.value
        for row in CarbonState.objects.filter(
            process_id__in={lot.made_by_id for lot in lots}, superseded_at__isnull=True
        )
    }
    return {lot.pk: states[lot.made_by_id].of(lot.kind) for lot in lots if lot.made_by_id in states}


def lot_state_proof(lot: Lot, *, at_seq: int | None = None) -> anchor.LeafProof:
    """The proof of `lot_state(lot, at_seq=…)`; ValueError if the lot has none there."""
    state = lot_state(lot, at_seq=at_seq)
    if state is None:
        raise ValueError(f"lot {lot.code} has no carbon state at seq {at_seq}")
    return state_proof(state)


@dataclass(frozen=True)
class RunFootprint:
    """One version of a production run's footprint at the maker's gate, per kg of its parts.

    Every part of the run has these figures per kg until custody transports add to its own.
    """

    process_id: int  # the parts.produced entry
    version: int
    per_kg_by_stage: dict[str, Decimal]  # kg CO2e per kg
    per_kg: Decimal
    supplier_per_kg: Decimal  # of `alloying`, priced by suppliers' own footprints (remelt-2)
    post_consumer: Decimal
    pre_consumer: Decimal
    factor_set: str
    method: str
    ledger_seq: int  # the roll-up computed it from the ledger up to here
    anchor_seq: int | None  # the footprint.computed entry committing to it (tree `states`)
    leaf_index: int
    superseded_at: object
    parts: int
    parts_mass_g: int


def production_run_footprints(process: Process | int) -> list[RunFootprint]:
    """The footprint versions of a part run (its `parts.produced` entry or seq), newest first."""
    process_id = process if isinstance(process, int) else process.pk
    parts = Lot.objects.filter(made_by_id=process_id, kind="part")
    count, mass_g = parts.count(), sum(parts.values_list("mass_g", flat=True))
    versions = []
    for state in (
        CarbonState.objects.filter(process_id=process_id)
        .select_related("run", "factor_set")
        .order_by("-version")
    ):
        value = state.value.main
        versions.append(
            RunFootprint(
                process_id=process_id,
                version=state.version,
                per_kg_by_stage=dict(value.intensity),
                per_kg=carbon.total(value.intensity),
                supplier_per_kg=value.supplier,
                post_consumer=value.post,
                pre_consumer=value.pre,
                factor_set=state.factor_set.version,
                method=state.run.method,
                ledger_seq=state.run.ledger_seq,
                anchor_seq=state.run.entry_id,
                leaf_index=state.leaf_index,
                superseded_at=state.superseded_at,
                parts=count,
                parts_mass_g=mass_g,
            )
        )
    return versions


def example_passport() -> Lot | None:
    """A wheel hub (else an ingot lot) whose passport has a current footprint, to show newcomers."""
    with_footprint = Lot.objects.filter(voided=False, footprints__superseded_at__isnull=True)
    for kind in (LotKind.PART, LotKind.INGOT):
        lot = with_footprint.filter(kind=kind).order_by("code").first()
        if lot is not None:
            return lot
    return None
