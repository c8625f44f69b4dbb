"""A CBAM report's evidence bundle (format: `remelt_verify.cbam_bundle`), for `remelt-verify`."""

import json

from remelt_verify.cbam_bundle import CBAM_BUNDLE_FORMAT

from cbam.models import CbamReport
from cbam.selectors import report_entries
from ledger.checkpoints import checkpoint_latest, checkpoint_sign, verifier_key
from ledger.cosignatures import checkpoint_cosigned, checkpoint_note
from ledger.disclosure import reader_disclosures
from ledger.models import Entry
from ledger.tree import tree_inclusion_proofs
from ledger.visibility import Viewer, disclosures_for, visible_payloads


def report_bundle(*, report: CbamReport, viewer: Viewer) -> dict:
    """The entries the report used (as they were at its ledger seq) and its anchor, with the
    proofs that tie them to a signed checkpoint, the factor set and the report itself."""
    period = report.period
    used = report_entries(period.installation, period.start, period.end, upto=report.ledger_seq)
    entries = [*used, Entry.objects.get(seq=report.anchor_id)]
    shown = visible_payloads(viewer, entries) | {report.anchor_id}
    disclosed = disclosures_for(viewer, entries, shown)
    checkpoint = checkpoint_cosigned(report.anchor_id) or checkpoint_latest()
    if checkpoint is None or checkpoint.size < report.anchor_id:
        checkpoint = checkpoint_sign() or checkpoint_latest()
    present = {entry.seq for entry in entries}
    unlinked = [entry.seq for entry in entries if entry.seq > 1 and entry.seq - 1 not in present]
    paths = tree_inclusion_proofs(
        [seq - 1 for seq in present] + [seq - 2 for seq in unlinked], checkpoint.size
    )
    return {
        "format": CBAM_BUNDLE_FORMAT,
        "report": report.document,
        "report_digest": report.digest,
        "anchor_seq": report.anchor_id,
        "factor_set": report.factor_set.document,
        "entries": [_record(entry, shown, disclosed) for entry in entries],
        "checkpoint": checkpoint_note(checkpoint),
        "verifier_key": verifier_key(),
        "proofs": {str(seq): [node.hex() for node in paths[seq - 1]] for seq in sorted(present)},
        "links": {str(seq): [node.hex() for node in paths[seq - 2]] for seq in unlinked},
    }


def _record(entry: Entry, shown: set[int], disclosed: dict[int, list]) -> dict:
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
