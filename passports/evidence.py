"""Evidence bundles: what a reader needs to check a lot's footprint offline.

The formats and their checks are `remelt_verify.bundle` (holders and auditors: the entries
behind the footprint) and `remelt_verify.public` (anyone: the footprint, its anchor and the
proofs that tie them to a signed checkpoint); this module gathers them from the database.
"""

import json
from collections.abc import Callable, Iterable

from remelt_verify.bundle import BUNDLE_FORMAT
from remelt_verify.public import PUBLIC_FORMAT

from ledger.checkpoints import checkpoint_latest, checkpoint_sign, verifier_key
from ledger.cosignatures import checkpoint_cosigned, checkpoint_note
from ledger.disclosure import item_lot
from ledger.errors import DomainError
from ledger.events import ENTRY_VOIDED, LOT_AMENDED, MELT_RECORDED
from ledger.models import Entry, Lot, SignedCheckpoint, TransferItem
from ledger.quantities import format_kg
from ledger.tree import tree_inclusion_proofs
from ledger.visibility import Viewer, disclosures_for, visible_payloads
from passports.models import Footprint
from passports.selectors import footprint_proof, upstream_lot_ids

# Where the supplier footprints that melts cite are kept as received: registered by the app
# that imports them (`pact`), so that passports imports nothing of it. Maps the seqs of
# `pact.footprint.imported` entries to the bytes each names.
_supplier_documents: Callable[[Iterable[int]], dict[int, bytes]] | None = None


def supplier_documents_register(source: Callable[[Iterable[int]], dict[int, bytes]]) -> None:
    global _supplier_documents
    _supplier_documents = source


def evidence_bundle(*, lot: Lot, viewer: Viewer) -> dict:
    """The offline evidence for a lot's current footprint (format: `remelt_verify.bundle`).

    The entries behind the footprint as of the ledger position it was computed at, with
    payloads where the viewer may read them, a signed checkpoint that holds them all with its
    witnesses' cosignatures (one is signed now if the latest is older than the anchor), and the
    Merkle proofs that tie every entry and every link to it. Raises DomainError when the lot
    has no footprint yet.
    """
    footprint = (
        Footprint.objects.filter(lot=lot, superseded_at__isnull=True)
        .select_related("run__factor_set", "state", "lot")
        .first()
    )
    if footprint is None or footprint.run.entry_id is None:
        raise DomainError(
            "no_footprint", f"lot {lot.code!r} has no footprint yet; its roll-up is pending", status=409
        )
    entries = list(Entry.objects.filter(seq__in=_bundle_seqs(lot, footprint)).order_by("seq"))
    shown = visible_payloads(viewer, entries)
    if footprint.leaf_index is not None:
        # An anchor of format 2 names no lot (counts and roots only): whoever may read the
        # footprint gets it, so holders check the anchoring as auditors do.
        shown.add(footprint.run.entry_id)
    # Whoever may read a melt that cites a supplier footprint reads its import and document.
    cited = {seq for entry in entries if entry.seq in shown for seq in _cited_imports(entry)}
    shown |= cited
    disclosed = disclosures_for(viewer, entries, shown)
    _disclose_amended(entries, shown, disclosed)

    checkpoint = _checkpoint_holding(entries[-1].seq)
    present = {entry.seq for entry in entries}
    unlinked = [entry.seq for entry in entries if entry.seq > 1 and entry.seq - 1 not in present]
    paths = tree_inclusion_proofs(
        [seq - 1 for seq in present] + [seq - 2 for seq in unlinked], checkpoint.size
    )
    factor_set = footprint.factor_set
    return {
        "format": BUNDLE_FORMAT,
        "lot": {"code": lot.code, "kind": lot.kind, "mass_kg": format_kg(lot.mass_g)},
        "footprint": footprint.document,
        "footprint_digest": footprint.digest,
        "anchor_seq": footprint.run.entry_id,
        "factor_set": {
            "version": factor_set.version,
            "factors": {factor.key: str(factor.value) for factor in factor_set.factors.all()},
        },
        "entries": [_record(entry, shown, disclosed) for entry in entries],
        "checkpoint": checkpoint_note(checkpoint),
        "verifier_key": verifier_key(),
        "proofs": {str(seq): [node.hex() for node in paths[seq - 1]] for seq in sorted(present)},
        "links": {str(seq): [node.hex() for node in paths[seq - 2]] for seq in unlinked},
        **_footprint_proof_member(footprint),
        **_supplier_footprints_member(cited),
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
    disclosures the reader may see where the payload commits to its items one by one."""
    record = {
        "hash": entry.hash,
        "header": json.loads(bytes(entry.header)),
        "payload": json.loads(bytes(entry.payload)) if entry.seq in shown else None,
    }
    if entry.seq in disclosed:
        record["disclosures"] = disclosed[entry.seq]
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
            "no_footprint", f"lot {lot.code!r} has no footprint yet; its roll-up is pending", status=409
        )
    if footprint.leaf_index is None:
        raise DomainError(
            "no_public_proof",
            f"version {footprint.version} of lot {lot.code!r} was anchored before anchors committed by "
            "Merkle roots; its next roll-up gives it a public proof",
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
    footprint = Footprint.objects.filter(lot=lot, superseded_at__isnull=True).select_related("run").first()
    if footprint is None or footprint.run.entry_id is None:
        return []
    return sorted(_bundle_seqs(lot, footprint))
