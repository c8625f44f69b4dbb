"""Public bundles: what anyone who scans a passport's QR code can check, with no account.

A public bundle (`GET /passports/<code>/proof.json`) proves that the footprint the public page
shows is the one the operator committed to in its signed log, and holds nothing the page does
not show. It is one JSON object with exactly these members:

- `format`: "remelt-public-1";
- `lot`: `{code, kind, mass_kg}` of the wheel hub or ingot lot;
- `footprint`: the footprint document of the page, and `footprint_digest`, SHA-256 of its
  RFC 8785 bytes;
- `footprint_proof`: `{leaf_index, path}`: the leaf RFC 8785 `[code, version, digest]` is leaf
  `leaf_index` of the `footprints` tree of the anchor (RFC 6962 inclusion path, bottom up, hex);
- `anchor`: the `footprint.computed` ledger entry (anchor format 2) as an export line
  `{hash, header, payload}`; its payload commits to the run's footprints by that tree's count
  and root and names no lot;
- `anchor_proof`: the inclusion path of the anchor entry (leaf seq − 1) in the checkpoint;
- `checkpoint`: the signed checkpoint (C2SP tlog-checkpoint) with the witnesses'
  cosignatures, and `verifier_key`, the key the operator publishes.

`public_verify` checks all of that. It needs the standard library, `rfc8785` and
`cryptography`; the same checks run in the browser (`config/static/remelt/verify.js`).
"""

from collections.abc import Sequence

from remelt_verify.chain import HEADER_FIELDS, NotCanonicalisable, canonical, entry_hash, sha256_hex
from remelt_verify.cosignature import cosignatures_require
from remelt_verify.merkle import HASH_SIZE, leaf_hash, verify_inclusion
from remelt_verify.notes import NoteError, parse_checkpoint, verify_note

PUBLIC_FORMAT = "remelt-public-1"
MEMBERS = frozenset(
    {
        "format",
        "lot",
        "footprint",
        "footprint_digest",
        "footprint_proof",
        "anchor",
        "anchor_proof",
        "checkpoint",
        "verifier_key",
    }
)
ANCHOR_MEMBERS = frozenset({"anchor", "run", "method", "factor_set", "ledger_seq", "footprints", "states"})
FOOTPRINT_COMPUTED = "footprint.computed"


class PublicProblem(Exception):
    """The first thing in a public bundle that does not hold, said so that a person can find it."""


def _path(value: object, where: str) -> list[bytes]:
    if not isinstance(value, list):
        raise PublicProblem(f"{where} is not a list of hashes")
    try:
        path = [bytes.fromhex(item) for item in value]
    except (TypeError, ValueError):
        raise PublicProblem(f"{where} is not a list of hashes in hex") from None
    if any(len(item) != HASH_SIZE for item in path):
        raise PublicProblem(f"{where} holds a hash that is not 32 bytes")
    return path


def _index(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PublicProblem(f"{where} is not a leaf index")
    return value


def footprint_committed(
    payload: dict, *, code: str, version: object, digest: str, leaf_index: object, path: object, where: str
) -> int:
    """Check that the anchor payload (format 2) commits to version `version` of lot `code` with
    `digest` as leaf `leaf_index`; the tree's count. Raises PublicProblem naming what fails."""
    tree = payload.get("footprints")
    try:
        count, root = tree["count"], bytes.fromhex(tree["root"])
    except (KeyError, TypeError, ValueError):
        raise PublicProblem(f"{where}: the anchor has no footprints tree (count and root)") from None
    leaf = canonical([code, version, digest])
    index = _index(leaf_index, "footprint_proof.leaf_index")
    if not verify_inclusion(leaf_hash(leaf), index, count, _path(path, "footprint_proof.path"), root):
        raise PublicProblem(
            f"footprint_proof: version {version} of {code} with digest {digest} is not leaf {index} "
            f"of the {count} footprints committed by {where}"
        )
    return count


def public_verify(
    bundle: object, *, key: str | None = None, witnesses: Sequence[str] = (), quorum: int | None = None
) -> str:
    """Check a public bundle; a summary, or PublicProblem naming the first thing that fails.

    `key` is the operator's verifier key you hold (else the bundle's own, which proves
    integrity only); with `witnesses`, at least `quorum` of them (default: all) must have
    cosigned the checkpoint.
    """
    if not isinstance(bundle, dict) or bundle.get("format") != PUBLIC_FORMAT:
        raise PublicProblem(f"not a public bundle (format {PUBLIC_FORMAT!r} expected)")
    if bundle.keys() != MEMBERS:
        wrong = [f"unexpected {name}" for name in sorted(bundle.keys() - MEMBERS)]
        wrong += [f"missing {name}" for name in sorted(MEMBERS - bundle.keys())]
        raise PublicProblem(f"a public bundle has exactly {', '.join(sorted(MEMBERS))}: {'; '.join(wrong)}")
    lot, footprint = bundle["lot"], bundle["footprint"]
    if not isinstance(lot, dict) or lot.keys() != {"code", "kind", "mass_kg"}:
        raise PublicProblem("lot: must be {code, kind, mass_kg}")
    if not isinstance(footprint, dict):
        raise PublicProblem("footprint: not a footprint document")
    for name in ("code", "kind", "mass_kg"):
        stated = footprint.get("lot" if name == "code" else name)
        if stated != lot[name]:
            raise PublicProblem(f"footprint: its {name} is {stated!r}, the lot's is {lot[name]!r}")
    try:
        digest = sha256_hex(canonical(footprint))
    except NotCanonicalisable as exc:
        raise PublicProblem(f"footprint: {exc}") from None
    if digest != bundle["footprint_digest"]:
        raise PublicProblem(
            f"footprint_digest: the footprint hashes to {digest}, the bundle says "
            f"{bundle['footprint_digest']}: the footprint was changed"
        )

    anchor = bundle["anchor"]
    if not isinstance(anchor, dict) or anchor.keys() != {"hash", "header", "payload"}:
        raise PublicProblem("anchor: must be an entry {hash, header, payload}")
    header, payload = anchor["header"], anchor["payload"]
    if not isinstance(header, dict) or header.keys() != HEADER_FIELDS:
        raise PublicProblem("anchor: the header does not have the fields of a ledger header")
    seq = header["seq"]
    where = f"entry {seq} ({header['type']})"
    try:
        header_bytes, payload_bytes = canonical(header), canonical(payload)
    except NotCanonicalisable as exc:
        raise PublicProblem(f"anchor: {exc}") from None
    if entry_hash(header_bytes) != anchor["hash"]:
        raise PublicProblem(
            f"{where}: the header hashes to {entry_hash(header_bytes)}, the bundle says {anchor['hash']}"
        )
    if sha256_hex(payload_bytes) != header["payload_sha256"]:
        raise PublicProblem(f"{where}: the payload does not match the digest in its header: it was changed")
    if header["type"] != FOOTPRINT_COMPUTED or header["org"] is not None:
        raise PublicProblem(f"{where}: not a footprint.computed entry of the system")
    if not isinstance(payload, dict) or payload.get("anchor") != 2 or payload.keys() != ANCHOR_MEMBERS:
        raise PublicProblem(
            f"{where}: not an anchor of format 2 (exactly {', '.join(sorted(ANCHOR_MEMBERS))})"
        )
    for name in ("method", "factor_set", "ledger_seq"):
        if payload[name] != footprint.get(name):
            raise PublicProblem(
                f"{where}: the anchor's {name} is {payload[name]!r}, the footprint's "
                f"{footprint.get(name)!r}: it anchors another run"
            )
    proof = bundle["footprint_proof"]
    if not isinstance(proof, dict) or proof.keys() != {"leaf_index", "path"}:
        raise PublicProblem("footprint_proof: must be {leaf_index, path}")
    try:
        count = footprint_committed(
            payload,
            code=lot["code"],
            version=footprint.get("version"),
            digest=digest,
            leaf_index=proof["leaf_index"],
            path=proof["path"],
            where=where,
        )
    except NotCanonicalisable as exc:
        raise PublicProblem(f"footprint: {exc}") from None

    try:
        checkpoint = parse_checkpoint(verify_note(bundle["checkpoint"], key or bundle["verifier_key"]))
        cosigned = cosignatures_require(
            bundle["checkpoint"], witnesses, len(witnesses) if quorum is None else quorum
        )
    except NoteError as exc:
        raise PublicProblem(f"checkpoint: {exc}") from None
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= checkpoint.size:
        raise PublicProblem(f"{where}: seq is not in the checkpoint's {checkpoint.size} entries")
    if not verify_inclusion(
        bytes.fromhex(anchor["hash"]),
        seq - 1,
        checkpoint.size,
        _path(bundle["anchor_proof"], "anchor_proof"),
        checkpoint.root,
    ):
        raise PublicProblem(f"anchor_proof: {where} is not in the checkpoint of size {checkpoint.size}")

    signer = "your key" if key else "the key in the bundle (pass --key to pin the operator's)"
    witnessed = f", cosigned by {', '.join(c.name for c in cosigned)}" if cosigned else ""
    return (
        f"{lot['code']}: footprint v{footprint.get('version')} ({footprint.get('total_kg_co2e')} kg CO2e) "
        f"is leaf {proof['leaf_index']} of the {count} footprints committed by ledger {where}, which "
        f"is in checkpoint {checkpoint.origin} size {checkpoint.size} "
        f"(signature checked with {signer}{witnessed})"
    )
