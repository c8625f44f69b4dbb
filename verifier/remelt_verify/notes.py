"""C2SP signed notes and tlog checkpoints, with Ed25519 keys in the Go sumdb/note key format.

A checkpoint (c2sp.org/tlog-checkpoint) is the note text
"<origin>\\n<tree size>\\n<base64 root hash>\\n" plus optional extension lines. A signed note
(c2sp.org/signed-note) is that text, a blank line, and lines "— <key name> <base64(key ID ||
signature)>". Keys are written as golang.org/x/mod/sumdb/note writes them, so Go tools (and
witnesses) can read ours. No Django here, so the offline verifier can check checkpoints.
"""

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01  # the signed-note signature type byte for Ed25519
SIGNATURE_PREFIX = "\N{EM DASH} "
# The spec asks verifiers to accept at least 16 signatures and to bound the work; Go allows 100.
MAX_SIGNATURES = 100
ROOT_SIZE = 32
_SIZE = re.compile(r"0|[1-9][0-9]*")  # ASCII only: `\d` would let in other scripts' digits
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")  # ASCII controls other than newline


class NoteError(ValueError):
    """A note, checkpoint or key that does not parse or verify; `reason` says which way.

    Reasons: "malformed" (note or checkpoint syntax), "bad key" (a key string),
    "unknown key" (no signature by the key we trust), "bad signature".
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: who (origin), how many leaves (size), and the RFC 6962 root."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = field(default=())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes | None:
    """Strict standard base64: alphabet, padding, and the one canonical spelling; else None."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if _b64(data) == text else None


def _check_text(text: str, what: str) -> None:
    if _CONTROL.search(text):
        raise NoteError("malformed", f"{what} contains an ASCII control character other than newline")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        raise NoteError("malformed", f"{what} is not valid UTF-8") from None


def is_valid_key_name(name: str) -> bool:
    """Key names are non-empty, with no Unicode spaces and no '+' (which separates key fields)."""
    return (
        isinstance(name, str)
        and name != ""
        and "+" not in name
        and not any(char.isspace() for char in name)
        and _CONTROL.search(name) is None
    )


def format_checkpoint(checkpoint: Checkpoint) -> str:
    """The checkpoint's note text, ending in a newline."""
    origin, size, root = checkpoint.origin, checkpoint.size, checkpoint.root
    if not isinstance(origin, str) or not origin or "\n" in origin:
        raise NoteError("malformed", "the origin must be a non-empty single line")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise NoteError("malformed", f"the tree size must be a non-negative integer, not {size!r}")
    if not isinstance(root, bytes) or len(root) != ROOT_SIZE:
        raise NoteError("malformed", "the root hash must be 32 bytes")
    for line in checkpoint.extensions:
        if not isinstance(line, str) or not line or "\n" in line:
            raise NoteError("malformed", "extension lines must be non-empty single lines")
    body = "".join(f"{line}\n" for line in (origin, str(size), _b64(root), *checkpoint.extensions))
    _check_text(body, "the checkpoint")
    return body


def parse_checkpoint(body: str) -> Checkpoint:
    """Parse a checkpoint's note text (as returned by `verify_note`)."""
    if not isinstance(body, str) or not body.endswith("\n"):
        raise NoteError("malformed", "a checkpoint is text ending in a newline")
    _check_text(body, "the checkpoint")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("malformed", "a checkpoint has at least three lines: origin, tree size, root hash")
    if any(line == "" for line in lines):
        raise NoteError("malformed", "a checkpoint has no empty lines")
    origin, size_text, root_text, *extensions = lines
    if not _SIZE.fullmatch(size_text):
        raise NoteError("malformed", f"tree size {size_text!r} is not a decimal number without leading zeros")
    root = _unb64(root_text)
    if root is None or len(root) != ROOT_SIZE:
        raise NoteError("malformed", f"root hash {root_text!r} is not the base64 of 32 bytes")
    return Checkpoint(origin=origin, size=int(size_text), root=root, extensions=tuple(extensions))


def _public_bytes(public_key: Ed25519PublicKey | bytes) -> bytes:
    if isinstance(public_key, Ed25519PublicKey):
        return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    if isinstance(public_key, bytes) and len(public_key) == 32:
        return public_key
    raise NoteError("bad key", "an Ed25519 public key is 32 bytes")


def key_id(name: str, public_key: Ed25519PublicKey | bytes, algorithm: int = ED25519) -> int:
    """The key ID: the first 4 bytes, big-endian, of SHA-256(name || 0x0A || algorithm || key).

    The algorithm byte is 0x01 for a log's Ed25519 note signatures and 0x04 for a witness's
    Ed25519 cosignatures (c2sp.org/tlog-cosignature, `remelt_verify.cosignature`).
    """
    material = name.encode("utf-8") + b"\n" + bytes([algorithm]) + _public_bytes(public_key)
    digest = hashlib.sha256(material).digest()
    return int.from_bytes(digest[:4], "big")


def verifier_key_string(name: str, public_key: Ed25519PublicKey | bytes, algorithm: int = ED25519) -> str:
    """The published key: "<name>+<key ID, 8 hex digits>+<base64(algorithm || public key)>"."""
    if not is_valid_key_name(name):
        raise NoteError("bad key", f"invalid key name {name!r}")
    raw = _public_bytes(public_key)
    return f"{name}+{key_id(name, raw, algorithm):08x}+{_b64(bytes([algorithm]) + raw)}"


def signer_key_string(name: str, private_key: Ed25519PrivateKey, algorithm: int = ED25519) -> str:
    """The secret key: "PRIVATE+KEY+<name>+<key ID>+<base64(algorithm || 32-byte seed)>"."""
    if not is_valid_key_name(name):
        raise NoteError("bad key", f"invalid key name {name!r}")
    seed = private_key.private_bytes_raw()
    identifier = key_id(name, private_key.public_key(), algorithm)
    return f"PRIVATE+KEY+{name}+{identifier:08x}+{_b64(bytes([algorithm]) + seed)}"


def _split_key(text: str, fields: int) -> list[str]:
    parts = text.split("+", fields - 1) if isinstance(text, str) else []
    if len(parts) != fields:
        raise NoteError("bad key", "a key string has the form <name>+<key ID>+<base64 key>")
    return parts


def _parse_id_and_key(name: str, id_text: str, key_text: str, algorithm: int = ED25519) -> tuple[int, bytes]:
    if not is_valid_key_name(name):
        raise NoteError("bad key", f"invalid key name {name!r}")
    if not re.fullmatch(r"[0-9a-fA-F]{8}", id_text):
        raise NoteError("bad key", f"key ID {id_text!r} is not 8 hex digits")
    key = _unb64(key_text)
    if key is None or len(key) != 33 or key[0] != algorithm:
        raise NoteError("bad key", f"the key is not base64(0x{algorithm:02x} || 32-byte Ed25519 key)")
    return int(id_text, 16), key[1:]


def parse_verifier_key(text: str, algorithm: int = ED25519) -> tuple[str, int, Ed25519PublicKey]:
    """(name, key ID, public key) of a verifier key string, after checking the key ID."""
    name, id_text, key_text = _split_key(text, 3)
    expected, raw = _parse_id_and_key(name, id_text, key_text, algorithm)
    if key_id(name, raw, algorithm) != expected:
        raise NoteError("bad key", f"key ID {id_text} does not match the name and public key")
    return name, expected, Ed25519PublicKey.from_public_bytes(raw)


def parse_signer_key(text: str, algorithm: int = ED25519) -> tuple[str, Ed25519PrivateKey]:
    """(name, private key) of a signer key string, after checking the key ID."""
    private, key, name, id_text, key_text = _split_key(text, 5)
    if (private, key) != ("PRIVATE", "KEY"):
        raise NoteError("bad key", "a signer key starts with PRIVATE+KEY+")
    expected, seed = _parse_id_and_key(name, id_text, key_text, algorithm)
    private_key = Ed25519PrivateKey.from_private_bytes(seed)
    # The ID names the public key, so it can only be checked once the seed has been expanded.
    if key_id(name, private_key.public_key(), algorithm) != expected:
        raise NoteError("bad key", f"key ID {id_text} does not match the name and key")
    return name, private_key


def sign_note(body: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note: body, a blank line, and one signature line by `name`."""
    if not isinstance(body, str) or not body.endswith("\n"):
        raise NoteError("malformed", "the note text must end in a newline")
    _check_text(body, "the note text")
    if not is_valid_key_name(name):
        raise NoteError("bad key", f"invalid key name {name!r}")
    signature = private_key.sign(body.encode("utf-8"))
    key_and_signature = key_id(name, private_key.public_key()).to_bytes(4, "big") + signature
    return f"{body}\n{SIGNATURE_PREFIX}{name} {_b64(key_and_signature)}\n"


def split_note(note: str | bytes) -> tuple[str, list[tuple[str, int, bytes]]]:
    """A signed note's text (ending in a newline) and its signature lines as (key name, key ID,
    signature bytes after the ID), checked for syntax only."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("malformed", "the note is not valid UTF-8") from None
    if not isinstance(note, str):
        raise NoteError("malformed", "the note must be text")
    _check_text(note, "the note")
    # The text may contain blank lines; the signatures start after the last one.
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed", "no blank line before the signatures")
    text, signature_block = note[: split + 1], note[split + 2 :]
    if not signature_block or not signature_block.endswith("\n"):
        raise NoteError("malformed", "the signature lines must be present and end in a newline")
    lines = signature_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("malformed", f"more than {MAX_SIGNATURES} signatures")
    signatures = []
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("malformed", f"signature line {line!r} does not start with '— ' (em dash, space)")
        signer, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        raw = _unb64(encoded)
        if not is_valid_key_name(signer) or raw is None or len(raw) < 5:
            raise NoteError("malformed", f"signature line {line!r} is not '— <key name> <base64 signature>'")
        signatures.append((signer, int.from_bytes(raw[:4], "big"), raw[4:]))
    return text, signatures


def verify_note(note: str | bytes, verifier_key: str) -> str:
    """Check the note's signature by the key `verifier_key` and return the signed text.

    Signatures by other keys are ignored, as the spec requires (even one sharing our name or
    our key ID, but not both). Raises NoteError: "malformed" for bad syntax, "unknown key"
    when no signature is by our key, "bad signature" when one by our key does not verify.
    """
    name, expected_id, public_key = parse_verifier_key(verifier_key)
    text, signatures = split_note(note)
    message = text.encode("utf-8")
    verified = False
    for signer, signer_id, signature in signatures:
        if signer != name or signer_id != expected_id:
            continue
        try:
            public_key.verify(signature, message)
        except InvalidSignature:
            raise NoteError("bad signature", f"the signature by {name}+{expected_id:08x} is wrong") from None
        verified = True
    if not verified:
        seen = ", ".join(f"{signer}+{signer_id:08x}" for signer, signer_id, _ in signatures)
        raise NoteError(
            "unknown key", f"no signature by {name}+{expected_id:08x}; the note is signed by {seen}"
        )
    return text
