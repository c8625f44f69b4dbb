"""Witness cosignatures of checkpoints: C2SP tlog-cosignature, Ed25519 (cosignature/v1).

A witness that checked a checkpoint's consistency with what it saw before signs

    cosignature/v1\\n
    time <POSIX seconds>\\n
    <the checkpoint's note text: origin, size, root, any extension lines>

and adds a note signature line "— <witness name> base64(key ID || timestamp || signature)",
where the key ID is SHA-256(name || 0x0A || 0x04 || public key)[:4] and the timestamp is 8
bytes, big-endian. Witness keys are written like the log's (`remelt_verify.notes`) with the
algorithm byte 0x04: "<name>+<key ID>+<base64(0x04 || key)>", and "PRIVATE+KEY+…" for the secret.
"""

import base64
import time
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from remelt_verify.notes import (
    SIGNATURE_PREFIX,
    NoteError,
    is_valid_key_name,
    key_id,
    parse_signer_key,
    parse_verifier_key,
    signer_key_string,
    split_note,
    verifier_key_string,
)

COSIGNATURE_V1 = 0x04
HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1


@dataclass(frozen=True)
class Cosigned:
    """A verified cosignature: which witness (its key string) and when it signed."""

    witness: str  # the witness's verifier key string
    name: str
    timestamp: int


def witness_verifier_key(name: str, private_key: Ed25519PrivateKey) -> str:
    """The witness's published key, "<name>+<key ID>+<base64(0x04 || public key)>"."""
    return verifier_key_string(name, private_key.public_key(), COSIGNATURE_V1)


def witness_signer_key(name: str, private_key: Ed25519PrivateKey) -> str:
    """The witness's secret key, "PRIVATE+KEY+<name>+<key ID>+<base64(0x04 || seed)>"."""
    return signer_key_string(name, private_key, COSIGNATURE_V1)


def parse_witness_signer_key(text: str) -> tuple[str, Ed25519PrivateKey]:
    return parse_signer_key(text, COSIGNATURE_V1)


def parse_witness_key(text: str):
    """(name, key ID, public key) of a witness's verifier key string."""
    return parse_verifier_key(text, COSIGNATURE_V1)


def signed_message(body: str, timestamp: int) -> bytes:
    """What a cosignature signs: the header line, the time line and the checkpoint's note text."""
    if not isinstance(timestamp, int) or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError("malformed", f"cosignature timestamp {timestamp!r} is out of range")
    return (HEADER + f"time {timestamp}\n" + body).encode("utf-8")


def cosign(body: str, name: str, private_key: Ed25519PrivateKey, timestamp: int | None = None) -> str:
    """The cosignature line (ending in a newline) of the witness `name` on the note text `body`."""
    if not isinstance(body, str) or not body.endswith("\n"):
        raise NoteError("malformed", "the checkpoint text must end in a newline")
    if not is_valid_key_name(name):
        raise NoteError("bad key", f"invalid key name {name!r}")
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = private_key.sign(signed_message(body, timestamp))
    raw = key_id(name, private_key.public_key(), COSIGNATURE_V1).to_bytes(4, "big")
    raw += timestamp.to_bytes(8, "big") + signature
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(raw).decode('ascii')}\n"


def cosignatures_verify(note: str | bytes, witnesses: Sequence[str]) -> list[Cosigned]:
    """The cosignatures of the note by the given witness keys that verify.

    Lines by other keys are ignored (the log's own signature among them). A line that names a
    given witness and its key ID but does not verify is a forgery: NoteError "bad signature".
    """
    text, signatures = split_note(note)
    keys = {}
    for witness in witnesses:
        name, identifier, public_key = parse_witness_key(witness)
        keys[(name, identifier)] = (witness, public_key)
    found: dict[str, Cosigned] = {}
    for signer, signer_id, raw in signatures:
        if (signer, signer_id) not in keys:
            continue
        witness, public_key = keys[(signer, signer_id)]
        if len(raw) != 8 + 64:
            raise NoteError("bad signature", f"the cosignature by {signer}+{signer_id:08x} is not 72 bytes")
        timestamp = int.from_bytes(raw[:8], "big")
        try:
            public_key.verify(raw[8:], signed_message(text, timestamp))
        except (InvalidSignature, NoteError):
            raise NoteError(
                "bad signature", f"the cosignature by {signer}+{signer_id:08x} is wrong"
            ) from None
        found[witness] = Cosigned(witness=witness, name=signer, timestamp=timestamp)
    return list(found.values())


def cosignatures_require(note: str | bytes, witnesses: Sequence[str], k: int) -> list[Cosigned]:
    """The verified cosignatures, if at least `k` of the given witnesses cosigned; else NoteError."""
    if not 0 <= k <= len(witnesses):
        raise NoteError("malformed", f"cannot require {k} cosignatures of {len(witnesses)} witnesses")
    found = cosignatures_verify(note, witnesses)
    if len(found) < k:
        missing = [
            witness.split("+", 1)[0] for witness in witnesses if witness not in {c.witness for c in found}
        ]
        raise NoteError(
            "missing cosignature",
            f"{len(found)} of the {k} required witness cosignatures; none by {', '.join(missing)}",
        )
    return found
