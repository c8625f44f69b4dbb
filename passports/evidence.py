"""Evidence bundles: what a reader needs to check a lot's footprint offline.

The formats and their checks are `remelt_verify.steps` (holders and auditors: the lot's own
step recomputed from its inputs' committed carbon states, and the steps further up one at a
time), `remelt_verify.bundle` (format 1: every entry upstream of the footprint, for footprints
anchored before states were committed, or on request) and `remelt_verify.public` (anyone: the
footprint, its anchor and the proofs that tie them to a signed checkpoint); this module gathers
them from the database.
"""

import json
from collections.abc import Callable, Iterable

from django.utils.translation import gettext as _
from remelt_verify.bundle import BUNDLE_FORMAT
from remelt_verify.public import PUBLIC_FORMAT
from remelt_verify.steps import EVIDENCE_FORMAT, STEP_FORMAT

from ledger.checkpoints import checkpoint_latest, checkpoint_sign, verifier_key
from ledger.cosignatures import checkpoint_cosigned, checkpoint_note
from ledger.disclosure import item_lot, reader_disclosures
from ledger.errors import DomainError, quoted
from ledger.events import ENTRY_VOIDED, LOT_AMENDED, MELT_RECORDED
from ledger.models import Entry, Lot, LotKind, SignedCheckpoint, TransferItem
from ledger.quantities import format_kg
from ledger.tree import tree_inclusion_proofs
from ledger.visibility import Viewer, disclosures_for, visible_payloads
from passports.models import CarbonState, Footprint
from passports.selectors import footprint_proof, lot_state, state_proof, upstream_lot_ids
from passports.services import _member

# Where the supplier footprints that melts cite are kept as received: registered by the app
# that imports them (`pact`), so that passports imports nothing of it. Maps the seqs of
# `pact.footprint.imported` entries to the bytes each names.
_supplier_documents: Callable[[Iterable[int]], dict[int, bytes]] | None = None


def supplier_documents_register(source: Callable[[Iterable[int]], dict[int, bytes]]) -> None:
    global _supplier_documents
    _supplier_documents = source


def _current_footprint(lot: Lot) -> Footprint:
    footprint = (
        Footprint.objects.filter(lot=lot, superseded_at__isnull=True)
        .select_related("run__factor_set", "run__entry", "state__run__entry", "lot")
        .first()
    )
    if footprint is None or footprint.run.entry_id is None:
        raise DomainError(
            "no_footprint",
            _("lot %(code)s has no footprint yet; its roll-up is pending") % {"code": quoted(lot.code)},
            status=409,
        )
    return footprint


def evidence_bundle(*, lot: Lot, viewer: Viewer, upstream: bool = False) -> dict:
    """The offline evidence for a lot's current footprint.

    Format 2 (`remelt_verify.steps`): the step that made the lot, recomputed from its inputs'
    committed carbon states, with the lot's own custody transfers and the footprint's anchor; its
    size does not depend on the history upstream. With `upstream`, or for a version anchored
    before states were committed (format 1 anchors), format 1 (`remelt_verify.bundle`): every
    entry behind the footprint. Raises DomainError when the lot has no footprint yet.
    """
    footprint = _current_footprint(lot)
    if upstream or not _stepped(footprint):
        return _upstream_bundle(lot, footprint, viewer)
    seqs, step = _footprint_step(lot, footprint)
    anchors = {footprint.run.entry_id, step["state"]["anchor_seq"]} | {
        given["state"]["anchor_seq"] for given in step["inputs"].values()
    }
    return {
        "format": EVIDENCE_FORMAT,
        "lot": {"code": lot.code, "kind": lot.kind, "mass_kg": format_kg(lot.mass_g)},
        "step": step,
        "footprint": footprint.document,
        "footprint_digest": footprint.digest,
        "anchor_seq": footprint.run.entry_id,
        **_footprint_proof_member(footprint),
        **_carried(seqs, viewer, anchors, footprint.factor_set, {lot.code, *step["inputs"]}),
    }


def _stepped(footprint: Footprint) -> bool:
    """Is the version anchored with its state committed (so a bundle of format 2 proves it)?"""
    return footprint.state is not None and footprint.leaf_index is not None


def _footprint_step(lot: Lot, footprint: Footprint, *, proofs: bool = True) -> tuple[set[int], dict | None]:
    """The entries of a format-2 bundle and its step: the step of the footprint's state, the
    lot's own custody transfers up to the footprint's ledger seq with their voids, the anchor."""
    seqs, step = _step(lot, footprint.state, proofs=proofs)
    own = set(
        TransferItem.objects.filter(lot=lot, transfer_id__lte=footprint.ledger_seq).values_list(
            "transfer_id", flat=True
        )
    )
    return seqs | own | _voids(own, footprint.ledger_seq) | {footprint.run.entry_id}, step


def step_bundle(*, lot: Lot, viewer: Viewer, at_seq: int | None = None) -> dict:
    """One step up (format `remelt_verify.steps.STEP_FORMAT`): the state of the entry that made
    `lot` as it stood at ledger seq `at_seq` (default: the current one), recomputed from its
    inputs' states as they stood when it was computed. Raises DomainError (409) when the lot
    has no committed state there."""
    state = lot_state(lot, at_seq=at_seq)
    if state is None:
        if at_seq is None:
            message = _("lot %(code)s has no committed carbon state yet") % {"code": quoted(lot.code)}
        else:
            message = _("lot %(code)s has no committed carbon state at ledger seq %(seq)s") % {
                "code": quoted(lot.code),
                "seq": at_seq,
            }
        raise DomainError("no_state", message, status=409)
    seqs, step = _step(lot, state)
    anchors = {state.run.entry_id} | {given["state"]["anchor_seq"] for given in step["inputs"].values()}
    return {
        "format": STEP_FORMAT,
        "lot": {"code": lot.code, "kind": lot.kind, "mass_kg": format_kg(lot.mass_g)},
        "step": step,
        **_carried(seqs, viewer, anchors, state.factor_set, {lot.code, *step["inputs"]}),
    }


def _state_member(state: CarbonState) -> dict:
    """A committed state with its leaf proof, as a step gives it."""
    proof = state_proof(state)
    return {
        "anchor_seq": proof.anchor_seq,
        "leaf_index": proof.leaf_index,
        "path": [node.hex() for node in proof.path],
        "value": _member(state),
    }


def _step(lot: Lot, state: CarbonState, *, proofs: bool = True) -> tuple[set[int], dict | None]:
    """The entries a step carries and (with `proofs`) its `step` member: the entry that made
    `lot` with its amendments, and for each input the entry that made it, its state as of the
    step's state, and its custody transfers before the step (with their voids). A fixed number
    of queries for the entries, whatever the number of inputs; each proof reads a few more."""
    made_by, at = lot.made_by_id, state.run.ledger_seq
    seqs = {made_by, state.run.entry_id}
    consumed = list(Lot.objects.filter(consumptions__process_id=made_by).distinct().order_by("code"))
    states = _states_at({source.made_by_id for source in consumed}, at)
    inputs = {}
    for source in consumed:
        source_state = states.get(source.made_by_id)
        if source_state is None:
            message = _("input %(input)s of %(code)s has no committed state at seq %(seq)s") % {
                "input": quoted(source.code),
                "code": quoted(lot.code),
                "seq": at,
            }
            raise DomainError("no_state", message, status=409)
        seqs |= {source.made_by_id, source_state.run.entry_id}
        if proofs:
            inputs[source.code] = {"entry": source.made_by_id, "state": _state_member(source_state)}
    moved = set(
        TransferItem.objects.filter(lot__in=consumed, transfer_id__lt=made_by).values_list(
            "transfer_id", flat=True
        )
    )
    # Corrections are few; their payloads name the lot (any lot the entry made) they correct.
    corrections = {
        entry.seq: entry
        for entry in Entry.objects.filter(type=LOT_AMENDED, seq__gt=made_by, seq__lte=at).only(
            "seq", "type", "payload", "disclosures"
        )
    }
    named = {entry.data["lot"] for entry in corrections.values()}
    made = (
        set(Lot.objects.filter(made_by_id=made_by, code__in=named).values_list("code", flat=True))
        if named
        else set()
    )
    amendments = {seq for seq, entry in corrections.items() if entry.data["lot"] in made}
    seqs |= moved | _voids(moved, at) | amendments
    for seq in amendments:
        seqs |= _cited_imports(corrections[seq])
    if lot.kind == LotKind.MELT:  # only a melt's additions cite supplier footprints
        seqs |= _cited_imports(Entry.objects.only("seq", "type", "payload", "disclosures").get(seq=made_by))
    if not proofs:
        return seqs, None
    return seqs, {"entry": made_by, "state": _state_member(state), "inputs": inputs}


def _states_at(makers: set[int], at: int) -> dict[int, CarbonState]:
    """The state of each of these making entries as it stood at ledger seq `at` (as `lot_state`
    gives it), in one query."""
    found: dict[int, CarbonState] = {}
    rows = CarbonState.objects.filter(process_id__in=makers, run__ledger_seq__lte=at).select_related("run")
    for row in rows.order_by("process_id", "-version"):
        found.setdefault(row.process_id, row)
    return found


def _voids(transfers: set[int], at: int) -> set[int]:
    """The voids, up to seq `at`, of these custody transfers."""
    if not transfers:
        return set()
    return {
        entry.seq
        for entry in Entry.objects.filter(type=ENTRY_VOIDED, seq__gt=min(transfers), seq__lte=at).only(
            "seq", "type", "payload", "disclosures"
        )
        if entry.data["seq"] in transfers
    }


def _carried(
    seqs: set[int], viewer: Viewer, anchors: set[int], factor_set, needed: set[str] | None = None
) -> dict:
    """What a bundle carries of these entries: each with the payload and disclosures the viewer
    may read (anchors of format 2 name no lot, so everyone who gets the bundle reads them; a
    cited footprint import shows to whoever reads the melt), the factor set, a signed checkpoint
    that holds them with the Merkle proofs of every entry and link, and the supplier documents.
    With `needed` (the codes a step names), only the disclosures of those lots: the verifier
    counts the other items of an entry by their total mass, so a run's or a transfer's other
    lots would only make the bundle larger."""
    entries = list(Entry.objects.filter(seq__in=seqs).order_by("seq"))
    shown = visible_payloads(viewer, entries) | anchors
    cited = {seq for entry in entries if entry.seq in shown for seq in _cited_imports(entry)}
    shown |= cited
    disclosed = disclosures_for(viewer, entries, shown)
    if needed is not None:
        disclosed = {
            seq: kept
            for seq, items in disclosed.items()
            if (kept := [item for item in items if item_lot(item[1]) in needed])
        }
    _disclose_amended(entries, shown, disclosed)
    checkpoint = _checkpoint_holding(entries[-1].seq)
    present = {entry.seq for entry in entries}
    unlinked = [entry.seq for entry in entries if entry.seq > 1 and entry.seq - 1 not in present]
    paths = tree_inclusion_proofs(
        [seq - 1 for seq in present] + [seq - 2 for seq in unlinked], checkpoint.size
    )
    return {
        "factor_set": {
            "version": factor_set.version,
            "factors": {factor.key: str(factor.value) for factor in factor_set.factors.all()},
        },
        "entries": [_record(entry, shown, disclosed) for entry in entries],
        "checkpoint": checkpoint_note(checkpoint),
        "verifier_key": verifier_key(),
        "proofs": {str(seq): [node.hex() for node in paths[seq - 1]] for seq in sorted(present)},
        "links": {str(seq): [node.hex() for node in paths[seq - 2]] for seq in unlinked},
        **_supplier_footprints_member(cited),
    }


def _upstream_bundle(lot: Lot, footprint: Footprint, viewer: Viewer) -> dict:
    """Format 1 (`remelt_verify.bundle`): the entries behind the footprint as of the ledger
    position it was computed at, every one upstream, with payloads where the viewer may read
    them, a signed checkpoint that holds them all with its witnesses' cosignatures (one is
    signed now if the latest is older than the anchor), and the Merkle proofs that tie every
    entry and every link to it."""
    anchors = {footprint.run.entry_id} if footprint.leaf_index is not None else set()
    carried = _carried(_bundle_seqs(lot, footprint), viewer, anchors, footprint.factor_set)
    return {
        "format": BUNDLE_FORMAT,
        "lot": {"code": lot.code, "kind": lot.kind, "mass_kg": format_kg(lot.mass_g)},
        "footprint": footprint.document,
        "footprint_digest": footprint.digest,
        "anchor_seq": footprint.run.entry_id,
        **carried,
        **_footprint_proof_member(footprint),
    }


def _cited_imports(entry: Entry) -> set[int]:
    """The `pact.footprint.imported` entries a melt's additions (or an amendment's) cite."""
    if entry.type not in (MELT_RECORDED, LOT_AMENDED):
        return set()
    return {
        addition["footprint_entry"]
        for addition in entry.data.get("additions", ())
        if isinstance(addition, dict) and "footprint" in addition
    }


def _supplier_footprints_member(seqs: set[int]) -> dict:
    """The bundle's `supplier_footprints`: each cited import's document as received (its text)."""
    if not seqs:
        return {}
    found = _supplier_documents(seqs) if _supplier_documents is not None else {}
    return {
        "supplier_footprints": {str(seq): bytes(found[seq]).decode() for seq in sorted(seqs) if seq in found}
    }


def _record(entry: Entry, shown: set[int], disclosed: dict[int, list]) -> dict:
    """An entry as an export line has it: hash, header, payload (None if withheld), and the
    disclosures the reader may see where the payload commits to its items one by one (with their
    inclusion paths where they are not all of them: `reader_disclosures`)."""
    record = {
        "hash": entry.hash,
        "header": json.loads(bytes(entry.header)),
        "payload": json.loads(bytes(entry.payload)) if entry.seq in shown else None,
    }
    if entry.seq in disclosed:
        record["disclosures"] = reader_disclosures(
            record["payload"], bytes(entry.disclosures), disclosed[entry.seq]
        )
    return record


def _disclose_amended(entries: list[Entry], shown: set[int], disclosed: dict[int, list]) -> None:
    """Add to a making entry's disclosures the item an amendment of it names, where the reader
    lacks it (another holder's wheel of the same run): the verifier finds the entry an amendment
    corrects through that lot, and whoever may read the amendment reads the lot's code in it."""
    by_seq = {entry.seq: entry for entry in entries}
    named = {entry.data["lot"] for entry in entries if entry.type == LOT_AMENDED and entry.seq in shown}
    for code, maker in Lot.objects.filter(code__in=named).values_list("code", "made_by_id"):
        entry = by_seq.get(maker)
        if entry is None or entry.disclosures is None or maker not in disclosed:
            continue
        if any(item_lot(item) == code for _salt, item in disclosed[maker]):
            continue
        stored = json.loads(bytes(entry.disclosures))
        disclosed[maker] = [*disclosed[maker], *(d for d in stored if item_lot(d[1]) == code)]


def _footprint_proof_member(footprint: Footprint) -> dict:
    """The bundle's `footprint_proof` (anchor format 2), or nothing for a version of format 1."""
    if footprint.leaf_index is None:
        return {}
    proof = footprint_proof(footprint)
    return {"footprint_proof": {"leaf_index": proof.leaf_index, "path": [node.hex() for node in proof.path]}}


def _checkpoint_holding(seq: int, *, sign: bool = True) -> SignedCheckpoint | None:
    """The checkpoint most witnesses cosigned among those that hold entry `seq`, else the
    latest; with `sign`, one is signed now if none holds it (its cosignatures come once the
    witnesses answer), else None."""
    checkpoint = checkpoint_cosigned(seq) or checkpoint_latest()
    if checkpoint is None or checkpoint.size < seq:
        checkpoint = (checkpoint_sign() or checkpoint_latest()) if sign else None
    return checkpoint


def public_bundle(*, lot: Lot, sign: bool = True) -> dict | None:
    """The public bundle of a lot's current footprint (format: `remelt_verify.public`).

    Only what the public passport page shows: the lot's code, kind and mass, the footprint
    document, its leaf proof in its anchor, the anchor entry (format 2: counts and roots, no
    lot) with its inclusion proof, and a signed checkpoint with its cosignatures. Raises
    DomainError when the lot has no footprint yet, or only one anchored in format 1 (whose
    anchor lists other companies' parts and so cannot be shown). Without `sign` (a page view),
    None while no signed checkpoint holds the anchor yet.
    """
    footprint = (
        Footprint.objects.filter(lot=lot, superseded_at__isnull=True)
        .select_related("run__entry", "run__factor_set", "state", "lot")
        .first()
    )
    if footprint is None or footprint.run.entry_id is None:
        raise DomainError(
            "no_footprint",
            _("lot %(code)s has no footprint yet; its roll-up is pending") % {"code": quoted(lot.code)},
            status=409,
        )
    if footprint.leaf_index is None:
        raise DomainError(
            "no_public_proof",
            _(
                "version %(version)s of lot %(code)s was anchored before anchors committed by "
                "Merkle roots; its next roll-up gives it a public proof"
            )
            % {"version": footprint.version, "code": quoted(lot.code)},
            status=409,
        )
    anchor = footprint.run.entry
    checkpoint = _checkpoint_holding(anchor.seq, sign=sign)
    if checkpoint is None:
        return None
    (path,) = tree_inclusion_proofs([anchor.seq - 1], checkpoint.size).values()
    return {
        "format": PUBLIC_FORMAT,
        "lot": {"code": lot.code, "kind": lot.kind, "mass_kg": format_kg(lot.mass_g)},
        "footprint": footprint.document,
        "footprint_digest": footprint.digest,
        **_footprint_proof_member(footprint),
        "anchor": {
            "hash": anchor.hash,
            "header": json.loads(bytes(anchor.header)),
            "payload": json.loads(bytes(anchor.payload)),
        },
        "anchor_proof": [node.hex() for node in path],
        "checkpoint": checkpoint_note(checkpoint),
        "verifier_key": verifier_key(),
    }


def _bundle_seqs(lot: Lot, footprint: Footprint) -> set[int]:
    """The entries behind a footprint version, as its evidence bundle carries them: what made
    every lot upstream, the custody transfers of those lots and their voids, the amendments of
    those making entries (all up to the ledger seq the footprint was computed at), and the anchor."""
    upstream = upstream_lot_ids(lot.pk)
    made = set(Lot.objects.filter(pk__in=upstream).values_list("made_by_id", flat=True))
    seqs = set(made)
    transfers = set(
        TransferItem.objects.filter(lot_id__in=upstream, transfer_id__lte=footprint.ledger_seq).values_list(
            "transfer_id", flat=True
        )
    )
    seqs |= transfers
    # Corrections are few; their payloads say which lot or entry they are about. An amendment
    # corrects the facts of the entry that made the lot it names, so it is behind every lot that
    # entry made (a run's energy, amended through one wheel, is every wheel's).
    amended: dict[int, str] = {}
    for entry in Entry.objects.filter(
        type__in=(LOT_AMENDED, ENTRY_VOIDED), seq__lte=footprint.ledger_seq
    ).only("seq", "type", "payload", "disclosures"):
        data = entry.data
        if entry.type == LOT_AMENDED:
            amended[entry.seq] = data["lot"]
        elif data["seq"] in transfers:
            seqs.add(entry.seq)
    makers = dict(Lot.objects.filter(code__in=set(amended.values())).values_list("code", "made_by_id"))
    seqs |= {seq for seq, code in amended.items() if makers.get(code) in made}
    seqs.add(footprint.run.entry_id)
    for entry in Entry.objects.filter(seq__in=seqs, type__in=(MELT_RECORDED, LOT_AMENDED)).only(
        "seq", "type", "payload", "disclosures"
    ):
        seqs |= _cited_imports(entry)
    return seqs


def evidence_entry_seqs(lot: Lot) -> list[int]:
    """The seqs of the entries the lot's evidence bundle carries (the passport page re-hashes
    exactly these), in order; empty while the lot has no anchored footprint."""
    try:
        footprint = _current_footprint(lot)
    except DomainError:
        return []
    if not _stepped(footprint):
        return sorted(_bundle_seqs(lot, footprint))
    return sorted(_footprint_step(lot, footprint, proofs=False)[0])
