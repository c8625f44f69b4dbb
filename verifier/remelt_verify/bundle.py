"""Evidence bundles, checked offline: entry hashes, links, proofs, anchor, and the footprint.

A bundle of format 1 (`GET /api/v1/parts/{serial}/evidence/?upstream=all`, and the default for
footprints anchored before states were committed) is one JSON object (format 2, the default,
is `remelt_verify.steps`):

- `format`: "remelt-evidence-1";
- `lot`: the part or ingot lot (code, kind, mass_kg);
- `footprint`: the footprint version the passport shows, and `footprint_digest`, the SHA-256
  of its RFC 8785 bytes, which the `footprint.computed` entry `anchor_seq` commits to: by a
  Merkle root (anchor format 2; `footprint_proof` then holds the version's `leaf_index` and
  the inclusion `path` of its leaf, RFC 8785 `[code, version, digest]`, in the payload's
  `footprints` tree) or by listing it (format 1);
- `factor_set`: the factor set that footprint names, `{version, factors: {key: value}}`;
- `entries`: the ledger entries behind it, in seq order, each `{hash, header, payload}` as
  in an export (and `disclosures` where the payload commits to its items one by one: those the
  reader may see, of disclosure format 1 or 2, `remelt_verify.disclosure`): the entries that
  made every lot upstream, the custody transfers of those lots (and their voids), the
  amendments of them, and the anchor;
- `supplier_footprints` (only where a melt upstream cites one, method remelt-2): for each
  `pact.footprint.imported` entry that an addition names (`footprint_entry`), the supplier's
  PACT ProductFootprint exactly as received, as text; its SHA-256 is the entry's `sha256` and
  its value per kg (`carbon.cited_per_kg`) the entry's `per_kg_co2e`;
- `checkpoint`: a signed checkpoint (C2SP note) of a ledger size that holds every entry,
  and `verifier_key`, the key the operator publishes at /api/v1/ledger/key/;
- `proofs`: for each entry, its RFC 6962 inclusion proof in that checkpoint; `links`: for
  each entry whose predecessor is not in the bundle, the inclusion proof of its `prev_hash`
  as the leaf before it. An entry's hash is its Merkle leaf, so these check every link of
  every entry against the signed tree without the entries in between.

`bundle_verify` checks all of that and recomputes the footprint from the entries' payloads
with the CARBON.md method (`remelt_verify.carbon`, the very code of the roll-up). It needs only
the standard library, `rfc8785` and, for the signature, `cryptography`: no Django, no database.
"""

import json
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from remelt_verify import carbon, disclosure
from remelt_verify.chain import (
    GENESIS_HASH,
    HEADER_FIELDS,
    NotCanonicalisable,
    canonical,
    entry_hash,
    sha256_hex,
)
from remelt_verify.cosignature import cosignatures_require
from remelt_verify.merkle import verify_inclusion
from remelt_verify.notes import NoteError, parse_checkpoint, verify_note
from remelt_verify.public import PublicProblem, footprint_committed

BUNDLE_FORMAT = "remelt-evidence-1"
EVIDENCE_FORMAT_2 = "remelt-evidence-2"  # remelt_verify.steps: one step and its inputs' states
MAKING_TYPES = ("scrap.received", "melt.recorded", "ingots.cast", "parts.produced")
FOOTPRINT_COMPUTED = "footprint.computed"
FOOTPRINT_IMPORTED = "pact.footprint.imported"


class BundleProblem(Exception):
    """The first thing in a bundle that does not check out, said so that a person can find it."""


# ---------------------------------------------------------------------------------------------
# Recomputing a footprint from entries


def _grams(value: object, where: str) -> int:
    try:
        grams = Decimal(str(value)) * 1000
    except InvalidOperation:
        raise BundleProblem(f"{where}: {value!r} is not a mass in kg") from None
    if grams != grams.to_integral_value() or grams < 0:
        raise BundleProblem(f"{where}: {value!r} is not a mass in kg to the gram")
    return int(grams)


def _items(seq: int, data: dict, member: str, key: str, kind: str, where: str) -> list[tuple[str, int, str]]:
    """(code, grams, kind) of the disclosed items of `member`, and one stand-in output for the
    items hidden from this reader, with their mass: the payload's total less what is disclosed."""
    value = data[member]
    items = value if isinstance(value, list) else [value]
    outputs = []
    for index, item in enumerate(items):
        if not disclosure.withheld(item):
            at = member if not isinstance(value, list) else f"{member}[{index}]"
            outputs.append((item[key], _grams(item["mass_kg"], f"{where}: {at}.mass_kg"), kind))
    if len(outputs) < len(items):
        total = _grams(data[disclosure.MARKER]["mass_kg"][member], f"{where}: disclosure.mass_kg.{member}")
        hidden_g = total - sum(grams for _code, grams, _kind in outputs)
        # A name no lot can have (codes have no spaces): nothing in the bundle refers to it.
        outputs.append((f"{member} of entry {seq} you may not see", hidden_g, kind))
    return outputs


class _Replay:
    """The part of the material record that carbon depends on, rebuilt from entry payloads."""

    def __init__(self) -> None:
        self.processes: dict[int, dict] = {}  # seq -> {type, facts, inputs, outputs, category}
        self.made_by: dict[str, int] = {}  # lot code -> seq of the entry that made it
        self.transfers: dict[int, tuple[list[str], dict]] = {}  # seq -> (lot codes, transport)
        self.voided: set[int] = set()
        self.imports: dict[int, dict] = {}  # seq -> payload of a pact.footprint.imported entry

    def apply(self, seq: int, entry_type: str, data: dict) -> None:
        where = f"entry {seq} ({entry_type})"
        try:
            if entry_type in MAKING_TYPES:
                self._making(seq, entry_type, data, where)
            elif entry_type == "custody.transferred":
                lots = [code for code in data["lots"] if not disclosure.withheld(code)]
                self.transfers[seq] = (lots, data["transport"])
            elif entry_type == "lot.amended":
                self._amended(data, where)
            elif entry_type == "entry.voided":
                self.voided.add(data["seq"])
            elif entry_type == FOOTPRINT_IMPORTED:
                self.imports[seq] = data
        except (KeyError, TypeError) as exc:
            raise BundleProblem(f"{where}: payload lacks {exc}") from None

    def _making(self, seq: int, entry_type: str, data: dict, where: str) -> None:
        """A making entry's process. Items the reader may not see (placeholders of a payload that
        commits to its items one by one) count by their total mass, which the payload gives: a
        step's burden is shared over all its outputs by mass, whoever holds them."""
        inputs = [
            (item["lot"], _grams(item["mass_kg"], f"{where}: inputs[{index}].mass_kg"))
            for index, item in enumerate(data.get("inputs", []))
        ]
        facts: dict = {}
        category = ""
        if entry_type == "scrap.received":
            outputs = [(data["code"], _grams(data["mass_kg"], f"{where}: mass_kg"), "scrap")]
            facts = {"transport": data["transport"]}
            category = data["category"]
        elif entry_type == "melt.recorded":
            outputs = [(data["code"], _grams(data["output_mass_kg"], f"{where}: output_mass_kg"), "melt")]
            facts = {"additions": data["additions"], "energy": data["energy"]}
        elif entry_type == "ingots.cast":
            outputs = _items(seq, data, "outputs", "code", "ingot", where)
            facts = {"energy": data["energy"]}
        else:
            outputs = _items(seq, data, "parts", "serial", "part", where)
            if "internal_scrap" in data:
                outputs += _items(seq, data, "internal_scrap", "code", "scrap", where)
            facts = {"energy": data["energy"]}
        self.processes[seq] = {
            "type": entry_type,
            "facts": facts,
            "inputs": inputs,
            "outputs": outputs,
            "category": category,
        }
        for code, _grams_out, _kind in outputs:
            self.made_by[code] = seq

    def _amended(self, data: dict, where: str) -> None:
        seq = self.made_by.get(data["lot"])
        if seq is None:
            raise BundleProblem(f"{where}: amends lot {data['lot']!r}, which no entry in the bundle made")
        process = self.processes[seq]
        for key in ("transport", "energy", "additions"):
            if key in data:
                process["facts"] = {**process["facts"], key: data[key]}
        if "category" in data:
            process["category"] = data["category"]

    def lot(self, code: str) -> tuple[int, str]:
        """(mass in grams, kind) of a lot made in the bundle."""
        for lot_code, grams, kind in self.processes[self.made_by[code]]["outputs"]:
            if lot_code == code:
                return grams, kind
        raise KeyError(code)


def _cited(replay: _Replay, documents: dict, method: str) -> dict[int, Decimal]:
    """kg CO2e per kg of every supplier footprint the live melts cite, by import entry seq, each
    checked: its import entry is in the bundle, and the document given for it is the one that
    entry names (its SHA-256 and id) with the value per kg the entry states."""
    cited: dict[int, Decimal] = {}
    for seq, process in sorted(replay.processes.items()):
        if seq in replay.voided:
            continue
        for index, addition in enumerate(process["facts"].get("additions", ())):
            if "footprint" not in addition:
                continue
            where = f"entry {seq} (melt.recorded): additions[{index}]"
            if method == "remelt-1":
                raise BundleProblem(
                    f"{where} cites supplier footprint {addition['footprint']}, which method remelt-1 "
                    "does not price; the footprint names remelt-1"
                )
            source = addition.get("footprint_entry")
            imported = replay.imports.get(source)
            if imported is None:
                raise BundleProblem(
                    f"{where} cites footprint {addition['footprint']} imported by entry {source!r}, "
                    "which is not a pact.footprint.imported entry in the bundle"
                )
            if imported.get("pf_id") != addition["footprint"]:
                raise BundleProblem(
                    f"{where} cites footprint {addition['footprint']}, entry {source} imported "
                    f"{imported.get('pf_id')}"
                )
            if source not in cited:
                cited[source] = _supplier_footprint(source, imported, documents)
    return cited


def _supplier_footprint(seq: int, imported: dict, documents: dict) -> Decimal:
    """The value per kg of the supplier footprint that import entry `seq` names, recomputed
    from the document the bundle gives for it."""
    where = f"supplier_footprints[{seq}]"
    raw = documents.get(str(seq)) if isinstance(documents, dict) else None
    if not isinstance(raw, str):
        raise BundleProblem(f"{where}: the bundle lacks the supplier footprint that entry {seq} imported")
    digest = sha256_hex(raw.encode())
    if digest != imported.get("sha256"):
        raise BundleProblem(
            f"{where}: the document hashes to {digest}, entry {seq} imported {imported.get('sha256')}: "
            "it is not the footprint as received"
        )
    try:
        document = json.loads(raw)
        per_kg = carbon.cited_per_kg(document)
    except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
        raise BundleProblem(f"{where}: not a PACT ProductFootprint with a value per kg: {exc}") from None
    if per_kg is None or str(per_kg) != imported.get("per_kg_co2e"):
        raise BundleProblem(
            f"{where}: its value per kg is {per_kg}, entry {seq} says {imported.get('per_kg_co2e')!r}"
        )
    return per_kg


def footprint_recompute(
    *,
    entries: list[tuple[int, str, dict]],
    code: str,
    ledger_seq: int,
    factors: carbon.Factors,
    method: str = carbon.METHOD_VERSION,
    supplier_footprints: dict | None = None,
) -> dict:
    """The footprint document of lot `code` at ledger position `ledger_seq`, from entry payloads.

    `entries` are (seq, type, data) in seq order, data the payload with the items disclosed to the
    reader in their places (`disclosure.reveal`); only those up to `ledger_seq` count, as
    only they were in the ledger when the footprint was rolled up. `method` is the one the
    footprint names; under remelt-2 the additions that cite a supplier footprint are priced
    with the documents of `supplier_footprints` (the bundle's member of that name).
    """
    if method not in carbon.METHODS:
        raise BundleProblem(f"footprint.method: {method!r} is not a method this verifier knows")
    replay = _Replay()
    for seq, entry_type, data in entries:
        if seq <= ledger_seq:
            replay.apply(seq, entry_type, data)
    cited = _cited(replay, supplier_footprints or {}, method)
    if code not in replay.made_by:
        raise BundleProblem(f"no entry in the bundle makes lot {code!r}")
    transfers = carbon.TransferLog()
    for seq, (codes, transport) in sorted(replay.transfers.items()):
        if seq in replay.voided:
            continue
        try:
            per_kg = factors.transport_per_kg(transport)
        except (KeyError, InvalidOperation) as exc:
            raise BundleProblem(f"entry {seq}: transport {transport!r} cannot be costed: {exc}") from None
        for lot_code in codes:
            transfers.add(lot_code, seq, per_kg)
    processes = [
        carbon.ProcessFacts(seq=seq, **process, cited=cited)
        for seq, process in sorted(replay.processes.items())
        if seq not in replay.voided
    ]
    try:
        computed = carbon.compute(processes, {}, transfers, factors)
    except KeyError as exc:
        raise BundleProblem(f"cannot recompute: the bundle lacks the entry that made lot {exc}") from None
    mass_g, kind = replay.lot(code)
    base = computed[code]
    return carbon.footprint_document(
        code=code,
        kind=kind,
        mass_g=mass_g,
        intensity=carbon.intensity_at(base, code, transfers, None),
        base=base,
        factors=factors,
        method=method,
    )


def _differences(stated: object, recomputed: object, path: str) -> list[str]:
    """Every number (or name) of `recomputed` that `stated` gives otherwise, with both values."""
    if isinstance(stated, dict) and isinstance(recomputed, dict):
        found = []
        for key in recomputed:
            if key not in stated:
                found.append(f"{path}.{key} is missing")
            else:
                found.extend(_differences(stated[key], recomputed[key], f"{path}.{key}"))
        return found
    if stated != recomputed:
        return [f"{path}: the bundle says {stated!r}, recomputed {recomputed!r}"]
    return []


# ---------------------------------------------------------------------------------------------
# Checking a bundle


def _hex_path(value: object, where: str) -> list[bytes]:
    if not isinstance(value, list):
        raise BundleProblem(f"{where} is not a list of hashes")
    try:
        path = [bytes.fromhex(item) for item in value]
    except (TypeError, ValueError):
        raise BundleProblem(f"{where} is not a list of hashes in hex") from None
    if any(len(item) != 32 for item in path):
        raise BundleProblem(f"{where} holds a hash that is not 32 bytes")
    return path


def _entries(bundle: dict) -> dict[int, dict]:
    """The bundle's entries by seq, each hash and payload digest checked."""
    found: dict[int, dict] = {}
    for index, record in enumerate(bundle["entries"]):
        where = f"entries[{index}]"
        if not isinstance(record, dict) or not (
            record.keys() == {"hash", "header", "payload"}
            or record.keys() == {"hash", "header", "payload", "disclosures"}
        ):
            raise BundleProblem(f"{where}: an entry has exactly hash, header and payload (and disclosures)")
        header = record["header"]
        if not isinstance(header, dict) or header.keys() != HEADER_FIELDS:
            raise BundleProblem(f"{where}: the header does not have the fields of a ledger header")
        seq = header["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1 or seq in found:
            raise BundleProblem(f"{where}: seq {seq!r} is not a new positive integer")
        try:
            header_bytes = canonical(header)
            payload_bytes = None if record["payload"] is None else canonical(record["payload"])
        except NotCanonicalisable as exc:
            raise BundleProblem(f"entry {seq}: {exc}") from None
        computed = entry_hash(header_bytes)
        if computed != record["hash"]:
            raise BundleProblem(
                f"entry {seq}: the header hashes to {computed}, the bundle says {record['hash']}"
            )
        if payload_bytes is not None and sha256_hex(payload_bytes) != header["payload_sha256"]:
            raise BundleProblem(
                f"entry {seq} ({header['type']}): the payload does not match the digest in its header "
                f"(payload hashes to {sha256_hex(payload_bytes)}, header says {header['payload_sha256']}): "
                "it was changed"
            )
        data = record["payload"]
        if data is not None and (disclosure.is_committed(data) or "disclosures" in record):
            try:
                data = disclosure.reveal(data, record.get("disclosures") or [])
            except disclosure.DisclosureError as exc:
                raise BundleProblem(f"entry {seq} ({header['type']}): {exc}") from None
        # `data`: the payload with the items disclosed to this reader in place (what is replayed).
        found[seq] = {**record, "data": data}
    return found


def _checkpoint(bundle: dict, key: str | None, witnesses: Sequence[str] = (), quorum: int = 0):
    """The bundle's checkpoint, its signature checked with `key` (or the bundle's own key), and
    the witnesses among `witnesses` that cosigned it (at least `quorum` of them, or it fails)."""
    try:
        checkpoint = parse_checkpoint(verify_note(bundle["checkpoint"], key or bundle["verifier_key"]))
        cosigned = cosignatures_require(bundle["checkpoint"], witnesses, quorum) if witnesses else []
    except NoteError as exc:
        raise BundleProblem(f"checkpoint: {exc}") from None
    return checkpoint, cosigned


def cosigned_phrase(cosigned: Sequence, quorum: int) -> str:
    """How a summary says which witnesses cosigned the checkpoint."""
    if not cosigned:
        return ""
    return f", cosigned by {', '.join(c.name for c in cosigned)} ({len(cosigned)} of {quorum} required)"


def _proofs(bundle: dict, entries: dict[int, dict], size: int, root: bytes) -> None:
    """Every entry, and every link to an entry not in the bundle, is in the signed tree."""
    proofs, links = bundle["proofs"], bundle["links"]
    for seq, record in sorted(entries.items()):
        if seq > size:
            raise BundleProblem(f"entry {seq} is beyond the checkpoint's {size} entries")
        leaf = bytes.fromhex(record["hash"])
        path = _hex_path(proofs.get(str(seq)), f"proofs[{seq}]")
        if not verify_inclusion(leaf, seq - 1, size, path, root):
            raise BundleProblem(f"entry {seq}: its inclusion proof does not reach the checkpoint's root")
        prev_hash = record["header"]["prev_hash"]
        if seq == 1:
            if prev_hash != GENESIS_HASH:
                raise BundleProblem("entry 1: prev_hash is not the genesis hash")
        elif seq - 1 in entries:
            if prev_hash != entries[seq - 1]["hash"]:
                raise BundleProblem(f"entry {seq}: prev_hash is not the hash of entry {seq - 1}")
        else:
            try:
                prev_leaf = bytes.fromhex(prev_hash)
            except ValueError:
                raise BundleProblem(f"entry {seq}: prev_hash is not hex") from None
            if str(seq) not in links:
                raise BundleProblem(
                    f"entry {seq}: link unproven: entry {seq - 1} is neither in the bundle "
                    "nor proved by links"
                )
            path = _hex_path(links[str(seq)], f"links[{seq}]")
            if not verify_inclusion(prev_leaf, seq - 2, size, path, root):
                raise BundleProblem(
                    f"entry {seq}: link broken: its prev_hash is not the hash of entry {seq - 1} "
                    "in the signed tree"
                )


def _factors(bundle: dict) -> carbon.Factors:
    factor_set = bundle["factor_set"]
    try:
        values = {key: Decimal(value) for key, value in factor_set["factors"].items()}
    except (InvalidOperation, TypeError, AttributeError):
        raise BundleProblem("factor_set.factors must map keys to decimal strings") from None
    return carbon.Factors(factor_set["version"], values)


def bundle_verify(
    bundle: object, *, key: str | None = None, witnesses: Sequence[str] = (), quorum: int | None = None
) -> str:
    """Check a bundle; return a summary, or raise BundleProblem naming the first problem.

    A bundle of format 2 is checked by `remelt_verify.steps.evidence_verify`; format 1 here.

    `key` is the verifier key the auditor holds; without it the bundle's own key is used,
    which proves integrity but not that the operator signed it. With `witnesses` (their
    verifier keys), at least `quorum` of them (default: all) must have cosigned the checkpoint.
    """
    if isinstance(bundle, dict) and bundle.get("format") == EVIDENCE_FORMAT_2:
        from remelt_verify.steps import evidence_verify  # format 2 builds on this module

        return evidence_verify(bundle, key=key, witnesses=witnesses, quorum=quorum)
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        raise BundleProblem(
            f"not an evidence bundle (format {BUNDLE_FORMAT!r} or {EVIDENCE_FORMAT_2!r} expected)"
        )
    required = ("lot", "footprint", "footprint_digest", "anchor_seq", "factor_set", "entries", "checkpoint")
    missing = [name for name in (*required, "verifier_key", "proofs", "links") if name not in bundle]
    if missing:
        raise BundleProblem(f"the bundle lacks {', '.join(missing)}")
    entries = _entries(bundle)
    quorum = len(witnesses) if quorum is None else quorum
    checkpoint, cosigned = _checkpoint(bundle, key, witnesses, quorum)
    _proofs(bundle, entries, checkpoint.size, checkpoint.root)

    footprint = bundle["footprint"]
    code = bundle["lot"]["code"]
    if not isinstance(footprint, dict) or footprint.get("lot") != code:
        raise BundleProblem(f"footprint: it is not the footprint of lot {code!r}")
    ledger_seq = footprint.get("ledger_seq")
    factors = _factors(bundle)
    if footprint.get("factor_set") != factors.version:
        raise BundleProblem(
            f"factor_set: the footprint names {footprint.get('factor_set')!r}, "
            f"the bundle holds {factors.version!r}"
        )
    withheld = [seq for seq, record in entries.items() if record["payload"] is None and seq <= ledger_seq]
    if withheld:
        raise BundleProblem(
            f"the payloads of entries {withheld} are withheld: the footprint cannot be recomputed"
        )
    recomputed = footprint_recompute(
        entries=[
            (seq, record["header"]["type"], record["data"])
            for seq, record in sorted(entries.items())
            if record["payload"] is not None
        ],
        code=code,
        ledger_seq=ledger_seq,
        factors=factors,
        method=footprint.get("method"),
        supplier_footprints=bundle.get("supplier_footprints"),
    )
    differences = _differences(footprint, recomputed, "footprint")
    if differences:
        raise BundleProblem(
            f"the footprint is not what its entries and factor set {factors.version} give: "
            + "; ".join(differences)
        )

    digest = sha256_hex(canonical(footprint))
    if digest != bundle["footprint_digest"]:
        raise BundleProblem(f"footprint_digest: the footprint hashes to {digest}, the bundle says otherwise")
    anchor = entries.get(bundle["anchor_seq"])
    if anchor is None or anchor["header"]["type"] != FOOTPRINT_COMPUTED:
        raise BundleProblem(
            f"anchor_seq: entry {bundle['anchor_seq']} is not a footprint.computed entry in the bundle"
        )
    if anchor["payload"] is None:
        # Anchors of format 1 list every footprint of their run, other companies' too: only
        # auditors and the operator get them, and nothing else can prove the anchoring.
        raise BundleProblem(
            f"entry {bundle['anchor_seq']} (footprint.computed): its payload is withheld from this reader, "
            "so the footprint's anchoring cannot be checked (a roll-up of anchor format 1; ask an auditor)"
        )
    if anchor["payload"].get("anchor") == 2:
        _committed(bundle, anchor["payload"], code, footprint.get("version"), digest)
    elif [code, footprint.get("version"), digest] not in anchor["payload"].get("footprints", []):
        raise BundleProblem(
            f"entry {bundle['anchor_seq']} (footprint.computed) does not list version "
            f"{footprint.get('version')} of {code} with digest {digest}"
        )
    if anchor["payload"].get("ledger_seq") != ledger_seq:
        raise BundleProblem(
            f"entry {bundle['anchor_seq']}: computed at ledger seq "
            f"{anchor['payload'].get('ledger_seq')}, the footprint says {ledger_seq}"
        )
    anchored = f"anchored in entry {bundle['anchor_seq']}"
    signer = "with your key" if key else "with the key in the bundle (pass --key to pin the operator's)"
    return (
        f"{code}: {len(entries)} entries hashed, linked and included in checkpoint size {checkpoint.size} "
        f"(signature checked {signer}{cosigned_phrase(cosigned, quorum)}); "
        f"footprint v{footprint.get('version')} "
        f"{footprint['total_kg_co2e']} kg CO2e recomputed with {factors.version} and equal; {anchored}"
    )


def _committed(bundle: dict, payload: dict, code: str, version: object, digest: str) -> None:
    """The footprint's leaf is in the anchor's `footprints` tree (anchor format 2)."""
    proof = bundle.get("footprint_proof")
    if not isinstance(proof, dict):
        raise BundleProblem(
            "footprint_proof: the anchor commits by a Merkle root; the bundle has no leaf proof"
        )
    try:
        footprint_committed(
            payload,
            code=code,
            version=version,
            digest=digest,
            leaf_index=proof.get("leaf_index"),
            path=proof.get("path"),
            where=f"entry {bundle['anchor_seq']}",
        )
    except PublicProblem as exc:
        raise BundleProblem(str(exc)) from None


def bundle_load(raw: bytes) -> object:
    """Parse a bundle file (JSON); a problem names what is wrong."""
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise BundleProblem(f"not JSON: {exc}") from None
