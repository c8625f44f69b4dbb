"""Signed notes and checkpoints (remelt_verify.notes), checked against the Go sumdb/note vectors.

The PeterNeumann and EnochRoot keys, texts and signatures are the published test vectors of
golang.org/x/mod/sumdb/note (note_test.go). Ed25519 is deterministic, so signing the same text
with the same key must reproduce Go's note byte for byte.
"""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from remelt_verify.merkle import EMPTY_ROOT
from remelt_verify.notes import (
    Checkpoint,
    NoteError,
    format_checkpoint,
    key_id,
    parse_checkpoint,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
    signer_key_string,
    verifier_key_string,
    verify_note,
)

# golang.org/x/mod/sumdb/note, note_test.go
PETER_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VERIFIER = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)

# Our own key: seed 00 01 .. 1f. Its ID was derived once from the signed-note formula
# SHA-256(name || 0x0A || 0x01 || public key)[:4] and frozen here.
OUR_NAME = "remelt.example/ledger"
OUR_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OUR_PUBLIC = bytes.fromhex("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8")
OUR_KEY_ID = 0x79831D08
OUR_VERIFIER = "remelt.example/ledger+79831d08+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"

ROOT = hashlib.sha256(b"some root").digest()
CHECKPOINT = Checkpoint(origin=OUR_NAME, size=20852163, root=ROOT)


def _with_signature(note: str, name: str, raw: bytes) -> str:
    """The note with its last signature line replaced by `name` and base64(raw)."""
    line = note.split("\n")[-2]
    return note.replace(line, f"— {name} " + base64.b64encode(raw).decode())


def _last_signature(note: str) -> bytes:
    return base64.b64decode(note.split("\n")[-2].split(" ")[-1])


def _reason(note, verifier=OUR_VERIFIER) -> str:
    with pytest.raises(NoteError) as caught:
        verify_note(note, verifier)
    return caught.value.reason


def test_key_ids_match_the_spec_and_go():
    peter_public = base64.b64decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")[1:]
    assert key_id("PeterNeumann", peter_public) == 0xC74F20A3
    assert key_id(OUR_NAME, OUR_KEY.public_key()) == OUR_KEY_ID
    assert OUR_KEY.public_key().public_bytes_raw() == OUR_PUBLIC
    spelled_out = hashlib.sha256(OUR_NAME.encode() + b"\x0a" + b"\x01" + OUR_PUBLIC).digest()[:4]
    assert int.from_bytes(spelled_out, "big") == OUR_KEY_ID


def test_key_strings_round_trip_in_go_format():
    name, private_key = parse_signer_key(PETER_SIGNER)
    assert name == "PeterNeumann"
    assert signer_key_string(name, private_key) == PETER_SIGNER
    assert verifier_key_string(name, private_key.public_key()) == PETER_VERIFIER
    assert parse_verifier_key(PETER_VERIFIER)[:2] == ("PeterNeumann", 0xC74F20A3)
    assert verifier_key_string(OUR_NAME, OUR_KEY.public_key()) == OUR_VERIFIER
    assert verifier_key_string(OUR_NAME, OUR_PUBLIC) == OUR_VERIFIER
    name, private_key = parse_signer_key(signer_key_string(OUR_NAME, OUR_KEY))
    assert name == OUR_NAME
    assert private_key.private_bytes_raw() == bytes(range(32))


@pytest.mark.parametrize(
    "key",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong ID
        "PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong name
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # 7 hex digits
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  # bad base64
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",  # Go: wrong length
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # Go: unknown algorithm
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "",
        PETER_SIGNER,
    ],
)
def test_bad_verifier_keys_are_refused(key):
    with pytest.raises(NoteError) as caught:
        parse_verifier_key(key)
    assert caught.value.reason == "bad key"


@pytest.mark.parametrize(
    "key",
    [
        "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFy",
        "PRIVATE+KYE+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        PETER_VERIFIER,
    ],
)
def test_bad_signer_keys_are_refused(key):
    with pytest.raises(NoteError) as caught:
        parse_signer_key(key)
    assert caught.value.reason == "bad key"


def test_signing_reproduces_go():
    name, private_key = parse_signer_key(PETER_SIGNER)
    assert sign_note(GO_TEXT, name, private_key) == GO_TEXT + "\n" + PETER_SIG


def test_go_notes_verify():
    assert verify_note(GO_TEXT + "\n" + PETER_SIG, PETER_VERIFIER) == GO_TEXT
    both = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert verify_note(both, PETER_VERIFIER) == GO_TEXT  # the other signature is ignored
    assert verify_note(both, ENOCH_VERIFIER) == GO_TEXT
    assert verify_note(both.encode(), ENOCH_VERIFIER) == GO_TEXT
    # Go's "invalid signature" case: four base64 characters inserted into the signature.
    inserted = GO_TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    assert _reason(inserted, PETER_VERIFIER) == "bad signature"


def test_checkpoint_signed_and_verified_with_published_key():
    note = sign_note(format_checkpoint(CHECKPOINT), OUR_NAME, OUR_KEY)
    assert note == (
        f"{OUR_NAME}\n20852163\n{base64.b64encode(ROOT).decode()}\n\n— {OUR_NAME} {note.split(' ')[-1]}"
    )
    assert base64.b64decode(note.split(" ")[-1])[:4] == OUR_KEY_ID.to_bytes(4, "big")
    assert parse_checkpoint(verify_note(note, OUR_VERIFIER)) == CHECKPOINT


def test_changed_body_is_rejected():
    note = sign_note(format_checkpoint(CHECKPOINT), OUR_NAME, OUR_KEY)
    assert _reason(note.replace("20852163", "20852164")) == "bad signature"
    assert _reason(note.replace(OUR_NAME + "\n", OUR_NAME + "x\n", 1)) == "bad signature"
    forged_root = base64.b64encode(EMPTY_ROOT).decode()
    assert _reason(note.replace(base64.b64encode(ROOT).decode(), forged_root)) == "bad signature"
    # Text smuggled in as an extra blank-line-separated block is not signed text.
    assert _reason(note.replace("\n\n", "\n\nextra\n\n")) == "bad signature"


def test_another_key_is_rejected():
    other = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    note = sign_note(format_checkpoint(CHECKPOINT), OUR_NAME, other)
    # Same name, different key: a different key ID, so not our signature at all.
    assert _reason(note) == "unknown key"
    # Our name and our key ID on someone else's signature: the signature must fail.
    spoofed = _with_signature(note, OUR_NAME, OUR_KEY_ID.to_bytes(4, "big") + _last_signature(note)[4:])
    assert _reason(spoofed) == "bad signature"
    # A note signed only by another key under another name.
    assert _reason(sign_note(format_checkpoint(CHECKPOINT), "someone.else", other)) == "unknown key"


def test_bad_key_id_is_rejected():
    note = sign_note(format_checkpoint(CHECKPOINT), OUR_NAME, OUR_KEY)
    wrong_id = (OUR_KEY_ID ^ 1).to_bytes(4, "big") + _last_signature(note)[4:]
    assert _reason(_with_signature(note, OUR_NAME, wrong_id)) == "unknown key"


def test_bad_signature_alongside_a_good_one_is_rejected():
    body = format_checkpoint(CHECKPOINT)
    note = sign_note(body, OUR_NAME, OUR_KEY)
    line = note.split("\n")[-2]
    raw = bytearray(base64.b64decode(line.split(" ")[-1]))
    raw[10] ^= 0x40
    damaged = f"— {OUR_NAME} " + base64.b64encode(bytes(raw)).decode()
    assert _reason(note + damaged + "\n") == "bad signature"
    assert _reason(note.replace(line, damaged)) == "bad signature"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda note: note.replace("— ", "- "),  # hyphen instead of em dash
        lambda note: note.replace("— ", "—"),  # no space after the dash
        lambda note: note.replace("\n\n", "\n"),  # no blank line
        lambda note: note[:-1],  # no final newline
        lambda note: note + "Unexpected line.\n",
        lambda note: note.replace(f"{OUR_NAME} ", f"{OUR_NAME}  "),  # empty base64 part
        lambda note: note.replace(f"— {OUR_NAME} ", "— Bad+Name "),  # '+' in the key name
        lambda note: note.replace("=\n", "\n"),  # base64 padding dropped
        lambda note: note.replace(f"{OUR_NAME} ", f"{OUR_NAME} !"),
        lambda note: "\x01" + note,  # a control character
        lambda note: note.replace("\n", "\r\n"),
        lambda note: note.encode()[:-1] + b"\xff\n",  # not UTF-8
        lambda note: note.split("\n\n")[0] + "\n\n— " + OUR_NAME + " AAAA\n",  # 3 bytes: no room for an ID
        lambda note: note + note.split("\n\n")[1] * 100,  # 101 signatures
    ],
)
def test_malformed_notes_are_rejected(mangle):
    note = sign_note(format_checkpoint(CHECKPOINT), OUR_NAME, OUR_KEY)
    assert _reason(mangle(note)) == "malformed"


def test_checkpoint_extensions_round_trip():
    checkpoint = Checkpoint(origin=OUR_NAME, size=0, root=EMPTY_ROOT, extensions=("ext one", "— two"))
    body = format_checkpoint(checkpoint)
    assert body == f"{OUR_NAME}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\n— two\n"
    assert parse_checkpoint(body) == checkpoint
    # An extension line that looks like a signature is still signed text, not a signature.
    assert parse_checkpoint(verify_note(sign_note(body, OUR_NAME, OUR_KEY), OUR_VERIFIER)) == checkpoint


@pytest.mark.parametrize(
    "body",
    [
        "origin\n5\n",  # no root line
        "origin\n05\nR0=\n",
        "origin\n5\nnot base64\n",
        f"origin\n-5\n{base64.b64encode(ROOT).decode()}\n",
        f"origin\n٥\n{base64.b64encode(ROOT).decode()}\n",  # an Arabic-Indic five
        f"origin\n5\n{base64.b64encode(ROOT[:31]).decode()}\n",
        f"\n5\n{base64.b64encode(ROOT).decode()}\n",
        f"origin\n5\n{base64.b64encode(ROOT).decode()}\n\nextension\n",
        f"origin\n5\n{base64.b64encode(ROOT).decode()}",  # no final newline
    ],
)
def test_malformed_checkpoints_are_rejected(body):
    with pytest.raises(NoteError) as caught:
        parse_checkpoint(body)
    assert caught.value.reason == "malformed"


@pytest.mark.parametrize(
    "checkpoint",
    [
        Checkpoint(origin="", size=1, root=ROOT),
        Checkpoint(origin="two\nlines", size=1, root=ROOT),
        Checkpoint(origin="origin", size=-1, root=ROOT),
        Checkpoint(origin="origin", size=1, root=ROOT[:31]),
        Checkpoint(origin="origin", size=1, root=ROOT, extensions=("",)),
    ],
)
def test_unformattable_checkpoints_are_refused(checkpoint):
    with pytest.raises(NoteError):
        format_checkpoint(checkpoint)


def test_sign_refuses_bad_input():
    with pytest.raises(NoteError):
        sign_note("no final newline", OUR_NAME, OUR_KEY)
    with pytest.raises(NoteError):
        sign_note("tab\there\n", OUR_NAME, OUR_KEY)
    with pytest.raises(NoteError):
        sign_note(format_checkpoint(CHECKPOINT), "has space", OUR_KEY)
