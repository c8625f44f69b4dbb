"""Offline verifier: check an exported chain, an evidence bundle, a signed checkpoint, or a proof.

    remelt-verify EXPORT.jsonl [--head HASH]        (or: chain EXPORT.jsonl …)
    remelt-verify BUNDLE.json [--key KEY]           (or: bundle BUNDLE.json …)
    remelt-verify checkpoint NOTE --key KEY
    remelt-verify inclusion PROOF.json --checkpoint NOTE --key KEY [--hash HASH]
    remelt-verify consistency --old NOTE --new NOTE [--proof PROOF.json] --key KEY
    remelt-verify keygen NAME
    remelt-verify witness-keygen NAME
    remelt-verify witness --key KEY --state STATE.json --log-key LOG_KEY [--listen HOST:PORT]

Also `python -m remelt_verify …`. Needs only Python, `rfc8785` and `cryptography`: no Django,
no database. A bundle (GET /api/v1/parts/{serial}/evidence/) is checked entry by
entry (hashes, links, inclusion in its signed checkpoint) and its footprint is recomputed
with the CARBON.md method; without --key the signature is checked with the bundle's own key.
Prints a line starting `OK` and exits 0, or a line starting `FAIL` saying what is wrong and
exits 1.
KEY is the verifier key string (GET /api/v1/ledger/key/) or a file holding it; NOTE is a
signed checkpoint as served by /api/v1/ledger/checkpoint/; PROOF.json is the answer of
/api/v1/ledger/proofs/inclusion/ or /proofs/consistency/, saved as it came.
Checkpoints, proofs and bundles take --witness WITNESS_KEY (repeatable) and --quorum K: fail
unless at least K of those witnesses cosigned the checkpoint (C2SP tlog-cosignature).
"""

import argparse
import base64
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from remelt_verify.chain import ChainVerifier, verify_export_lines
from remelt_verify.merkle import HASH_SIZE, verify_consistency, verify_inclusion

# `remelt_verify.notes` and `.bundle` (and with them `cryptography`) are imported only by the
# commands that check signatures, so verifying an export needs nothing but `rfc8785` (SPEC §3).

COMMANDS = (
    "chain",
    "bundle",
    "checkpoint",
    "inclusion",
    "consistency",
    "keygen",
    "witness-keygen",
    "witness",
)


class Failed(Exception):
    """What to print after FAIL."""


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as export:
        yield from export


def _key(value: str) -> str:
    """The verifier key: the string itself, or the first line of the file it names."""
    path = Path(value)
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    return value


def _witnesses(args) -> tuple[list[str], int]:
    """The witness keys given (--witness, each a key or a file) and how many must have cosigned."""
    witnesses = [_key(value) for value in args.witness or []]
    quorum = len(witnesses) if args.quorum is None else args.quorum
    if not 0 <= quorum <= len(witnesses):
        raise Failed(f"--quorum {quorum}: give at least that many --witness keys")
    return witnesses, quorum


def _cosigned(note: bytes | str, args) -> str:
    """Check the quorum of witness cosignatures on a note; a phrase saying which witnesses signed."""
    from remelt_verify.bundle import cosigned_phrase
    from remelt_verify.cosignature import cosignatures_require

    witnesses, quorum = _witnesses(args)
    if not witnesses:
        return ""
    return cosigned_phrase(cosignatures_require(note, witnesses, quorum), quorum)


def _checkpoint(path: Path, key: str, origin: str | None, what: str = "checkpoint", args=None):
    """Verify the signed note in `path` with `key` (and the witnesses of `args`) and parse it."""
    from remelt_verify.notes import NoteError, parse_checkpoint, verify_note

    try:
        note = path.read_bytes()
        checkpoint = parse_checkpoint(verify_note(note, _key(key)))
        cosigned = _cosigned(note, args) if args is not None else ""
    except NoteError as exc:
        raise Failed(f"{what} {path}: {exc}") from None
    if origin is not None and checkpoint.origin != origin:
        raise Failed(f"{what} {path}: origin {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint, cosigned


def _hash(value: object, name: str) -> bytes:
    """A 32-byte hash written as lowercase hex."""
    if isinstance(value, str) and len(value) == 2 * HASH_SIZE and value == value.lower():
        try:
            return bytes.fromhex(value)
        except ValueError:
            pass
    raise Failed(f"malformed proof: {name} is not a hash in lowercase hex")


def _proof_document(path: Path, fields: dict[str, type]) -> dict:
    try:
        document = json.loads(path.read_bytes())
    except ValueError as exc:
        raise Failed(f"malformed proof: {path} is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise Failed(f"malformed proof: {path} is not a JSON object")
    for name, kind in fields.items():
        value = document.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise Failed(f"malformed proof: {name} is missing or not a {kind.__name__}")
    return document


def _path_hashes(document: dict) -> list[bytes]:
    return [_hash(item, f"proof[{index}]") for index, item in enumerate(document["proof"])]


def chain(args) -> str:
    verifier = ChainVerifier(expected_head=args.head)
    problem = verify_export_lines(_lines(args.export), verifier)
    if problem:
        raise Failed(str(problem))
    return f"{verifier.count} entries, head {verifier.last_hash}"


def bundle(args) -> str:
    """An evidence bundle (format remelt-evidence-2, or -1 with every entry upstream), a step
    further up (remelt-step-1), a public bundle (remelt-public-1) or a CBAM report's bundle
    (remelt-cbam-evidence-1)."""
    from remelt_verify.bundle import BundleProblem, bundle_load, bundle_verify
    from remelt_verify.cbam_bundle import CBAM_BUNDLE_FORMAT, cbam_bundle_verify
    from remelt_verify.public import PUBLIC_FORMAT, PublicProblem, public_verify
    from remelt_verify.steps import EVIDENCE_FORMAT, STEP_FORMAT, evidence_verify, step_verify

    witnesses, quorum = _witnesses(args)
    try:
        loaded = bundle_load(args.bundle.read_bytes())
        kind = loaded.get("format") if isinstance(loaded, dict) else None
        check = {
            PUBLIC_FORMAT: public_verify,
            CBAM_BUNDLE_FORMAT: cbam_bundle_verify,
            EVIDENCE_FORMAT: evidence_verify,
            STEP_FORMAT: step_verify,
        }.get(kind, bundle_verify)
        return check(loaded, key=_key(args.key) if args.key else None, witnesses=witnesses, quorum=quorum)
    except (BundleProblem, PublicProblem) as exc:
        raise Failed(f"{args.bundle}: {exc}") from None


def checkpoint(args) -> str:
    found, cosigned = _checkpoint(args.note, args.key, args.origin, args=args)
    return (
        f"checkpoint {found.origin} size {found.size} root {base64.b64encode(found.root).decode()}{cosigned}"
    )


def inclusion(args) -> str:
    found, cosigned = _checkpoint(args.checkpoint, args.key, args.origin, args=args)
    document = _proof_document(args.proof, {"seq": int, "size": int, "leaf_hash": str, "proof": list})
    seq, size = document["seq"], document["size"]
    if size != found.size:
        raise Failed(f"inclusion: the proof is for tree size {size}, the checkpoint has size {found.size}")
    leaf = _hash(document["leaf_hash"], "leaf_hash")
    if args.hash is not None and args.hash.lower() != leaf.hex():
        raise Failed(f"inclusion: the proof is for leaf {leaf.hex()}, not the entry hash {args.hash}")
    if not verify_inclusion(leaf, seq - 1, size, _path_hashes(document), found.root):
        raise Failed(f"inclusion: the proof does not show entry {seq} ({leaf.hex()}) in checkpoint {size}")
    return f"entry seq {seq} (hash {leaf.hex()}) is in checkpoint {found.origin} size {size}{cosigned}"


def consistency(args) -> str:
    old, _ = _checkpoint(args.old, args.key, args.origin, "old checkpoint")
    new, cosigned = _checkpoint(args.new, args.key, args.origin, "new checkpoint", args=args)
    if old.origin != new.origin:
        raise Failed(f"consistency: the checkpoints are of different logs ({old.origin!r}, {new.origin!r})")
    if old.size > new.size:
        raise Failed(f"consistency: the old checkpoint ({old.size}) is larger than the new one ({new.size})")
    proof: list[bytes] = []
    if args.proof is not None:
        document = _proof_document(args.proof, {"from": int, "to": int, "proof": list})
        if (document["from"], document["to"]) != (old.size, new.size):
            raise Failed(
                f"consistency: the proof is from {document['from']} to {document['to']}, the checkpoints "
                f"are {old.size} and {new.size}"
            )
        proof = _path_hashes(document)
    elif 0 < old.size < new.size:
        raise Failed("consistency: a proof (--proof) is needed between checkpoints of different sizes")
    # Every tree extends the empty one; otherwise RFC 9162's check (equal sizes: equal roots).
    if old.size and not verify_consistency(old.size, new.size, proof, old.root, new.root):
        raise Failed(
            f"consistency: checkpoint {new.size} does not extend checkpoint {old.size}: "
            "the log was rewritten, or the proof is wrong"
        )
    return f"checkpoint {new.origin} size {new.size} extends checkpoint size {old.size}{cosigned}"


def keygen(args) -> str:
    """Print a new signer key (LEDGER_SIGNING_KEY, keep it secret) and its verifier key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from remelt_verify.notes import NoteError, signer_key_string, verifier_key_string

    try:
        private_key = Ed25519PrivateKey.generate()
        signer = signer_key_string(args.name, private_key)
        verifier = verifier_key_string(args.name, private_key.public_key())
    except NoteError as exc:
        raise Failed(str(exc)) from None
    return f"verifier key {verifier}\nLEDGER_SIGNING_KEY={signer}"


def witness_keygen(args) -> str:
    """Print a new witness key (keep it secret, pass it to `witness --key`) and its verifier key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from remelt_verify.cosignature import witness_signer_key, witness_verifier_key
    from remelt_verify.notes import NoteError

    try:
        private_key = Ed25519PrivateKey.generate()
        signer = witness_signer_key(args.name, private_key)
        verifier = witness_verifier_key(args.name, private_key)
    except NoteError as exc:
        raise Failed(str(exc)) from None
    return f"witness key {verifier}\n{signer}"


def witness(args) -> str:
    """Run a witness until interrupted (Ctrl-C)."""
    from remelt_verify.notes import NoteError
    from remelt_verify.witness import Witness, server

    host, _, port = args.listen.rpartition(":")
    try:
        running = Witness(
            signer_key=_key(args.key), log_keys=[_key(key) for key in args.log_key], state=args.state
        )
    except NoteError as exc:
        raise Failed(f"witness: {exc}") from None
    httpd = server(running, host or "127.0.0.1", int(port))
    print(f"witness {running.verifier_key} on http://{args.listen}/", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return "witness stopped"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="remelt-verify",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
    )
    commands = parser.add_subparsers(dest="command", required=True)

    found = commands.add_parser("chain", help="verify an export (the default command)")
    found.add_argument("export", type=Path, help="a JSON Lines file written by manage.py export_ledger")
    found.add_argument("--head", help="a head hash you hold: fail if the export does not reach it")
    found.set_defaults(run=chain)

    def with_witnesses(command):
        command.add_argument(
            "--witness", action="append", help="a witness key whose cosignature counts (repeat for several)"
        )
        command.add_argument(
            "--quorum", type=int, help="how many of the --witness keys must have cosigned (default: all)"
        )

    found = commands.add_parser(
        "bundle", help="verify an evidence bundle (and recompute its footprint) or a passport's public bundle"
    )
    found.add_argument(
        "bundle",
        type=Path,
        help="a bundle from /api/v1/parts/{serial}/evidence/ or /passports/{code}/proof.json",
    )
    found.add_argument("--key", help="the verifier key you hold (or a file holding it)")
    with_witnesses(found)
    found.set_defaults(run=bundle)

    def with_key(command):
        command.add_argument("--key", required=True, help="the verifier key, or a file holding it")
        command.add_argument("--origin", help="fail unless the checkpoints have this origin")
        with_witnesses(command)

    found = commands.add_parser("checkpoint", help="check a signed checkpoint's signature")
    found.add_argument("note", type=Path, help="the signed checkpoint")
    with_key(found)
    found.set_defaults(run=checkpoint)

    found = commands.add_parser("inclusion", help="check that an entry is in a signed checkpoint")
    found.add_argument("proof", type=Path, help="the answer of /api/v1/ledger/proofs/inclusion/")
    found.add_argument("--checkpoint", type=Path, required=True, help="the signed checkpoint of that size")
    found.add_argument("--hash", help="the entry's hash as you hold it: fail unless the proof is for it")
    with_key(found)
    found.set_defaults(run=inclusion)

    found = commands.add_parser("consistency", help="check that a newer checkpoint extends an older one")
    found.add_argument("--old", type=Path, required=True, help="the checkpoint you kept")
    found.add_argument("--new", type=Path, required=True, help="the newer checkpoint")
    found.add_argument("--proof", type=Path, help="the answer of /api/v1/ledger/proofs/consistency/")
    with_key(found)
    found.set_defaults(run=consistency)

    found = commands.add_parser("keygen", help="make a new checkpoint signing key")
    found.add_argument("name", help="the key's name, usually the ledger's origin")
    found.set_defaults(run=keygen)

    found = commands.add_parser("witness-keygen", help="make a new witness key")
    found.add_argument("name", help="the witness's name, e.g. witness.veritas.example")
    found.set_defaults(run=witness_keygen)

    found = commands.add_parser("witness", help="run a witness that cosigns checkpoints (C2SP tlog-witness)")
    found.add_argument("--key", required=True, help="the witness's secret key (witness-keygen), or a file")
    found.add_argument(
        "--state", type=Path, required=True, help="the file where the witness keeps what it saw"
    )
    found.add_argument(
        "--log-key", action="append", required=True, help="the verifier key of a log to witness (repeatable)"
    )
    found.add_argument("--listen", default="127.0.0.1:8140", help="host:port to listen on")
    found.set_defaults(run=witness)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # A bare file means `bundle` for a .json bundle and `chain` for a .jsonl export.
    if argv and argv[0] not in COMMANDS and argv[0] not in ("-h", "--help"):
        argv = ["bundle" if argv[0].endswith(".json") else "chain", *argv]
    args = _parser().parse_args(argv)
    try:
        message = args.run(args)
    except Failed as exc:
        print(f"FAIL {exc}")
        return 1
    except OSError as exc:
        print(f"FAIL {exc.filename}: {exc.strerror}")
        return 1
    print(f"OK {message}")
    return 0
