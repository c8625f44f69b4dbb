"""Signed checkpoints of the ledger's Merkle tree, and the key that signs them.

A checkpoint is a C2SP tlog-checkpoint note (origin, tree size, base64 root) signed with
Ed25519 as a C2SP signed note (see `remelt_verify.notes`). Partners keep them: a later checkpoint
plus a consistency proof shows them that today's ledger extends the one they saw, so a
rewrite of history is caught even if it was made by someone with full control of our database.
"""

import base64
import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from remelt_verify import merkle, notes

from ledger.models import SignedCheckpoint
from ledger.tree import tree_root, tree_roots_and_consistency_proof, tree_size

log = logging.getLogger(__name__)

DEV_KEY_FILE = "ledger-signing-key"
# Any constant will do: it names the lock that lets one signer at a time work on PostgreSQL.
_SIGNING_LOCK = 0x6C656467  # "ledg"


class CheckpointRefused(RuntimeError):
    """The stored tree does not extend the last signed checkpoint: nothing is signed."""


def signing_key() -> tuple[str, Ed25519PrivateKey]:
    """(key name, private key) from LEDGER_SIGNING_KEY, or the development key file under VAR_DIR."""
    if settings.LEDGER_SIGNING_KEY:
        return notes.parse_signer_key(settings.LEDGER_SIGNING_KEY)  # checked when settings load
    if not settings.DEBUG:
        raise ImproperlyConfigured("LEDGER_SIGNING_KEY must be set when DEBUG is off")
    return notes.parse_signer_key(_development_key(Path(settings.VAR_DIR) / DEV_KEY_FILE))


def _development_key(path: Path) -> str:
    """Read the development key, generating it the first time (O_EXCL: one process wins a race)."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    text = notes.signer_key_string(settings.LEDGER_ORIGIN, Ed25519PrivateKey.generate())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as key_file:
        key_file.write(text + "\n")
    log.warning(
        "LEDGER_SIGNING_KEY is not set: generated a development checkpoint signing key in %s. "
        "Checkpoints signed with it mean nothing outside this machine; set LEDGER_SIGNING_KEY "
        "in production.",
        path,
    )
    return text


def verifier_key() -> str:
    """The published verifier key: "<name>+<key ID>+<base64(0x01 || public key)>"."""
    name, private_key = signing_key()
    return notes.verifier_key_string(name, private_key.public_key())


def checkpoint_latest() -> SignedCheckpoint | None:
    """The checkpoint with the largest size, or None before the first is signed."""
    return SignedCheckpoint.objects.order_by("-size").first()


def _b64(root: bytes) -> str:
    return base64.b64encode(root).decode("ascii")  # as roots are written in checkpoints


def checkpoint_body(note: str) -> notes.Checkpoint:
    """The checkpoint in a signed note, without checking the signature (for our own records)."""
    split = note.rfind("\n\n")
    if split < 0:
        raise notes.NoteError("malformed", "no blank line before the signatures")
    return notes.parse_checkpoint(note[: split + 1])


def checkpoint_sign() -> SignedCheckpoint | None:
    """Sign a checkpoint of the whole ledger if it grew since the last one; None if it did not.

    Before signing, the stored tree must prove consistent with the last checkpoint; if it
    does not, CheckpointRefused is raised and nothing is signed. The check runs even when
    there is nothing new to sign, so a rewritten database fails the beat task within seconds.
    Safe to run twice or on several workers at once: signers take turns, and `size` is unique
    in the table, so there can never be two roots for one size.
    """
    name, private_key = signing_key()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # SQLite needs no lock: its write transactions already run one at a time.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SIGNING_LOCK])
        previous = checkpoint_latest()
        # No lock on the head: the tree up to any committed head is complete and never changes.
        size = tree_size()
        root = _root_extending(previous, size)
        if previous is not None and size == previous.size:
            return None  # nothing new; but the check above still ran, as a tripwire
        checkpoint = notes.Checkpoint(origin=settings.LEDGER_ORIGIN, size=size, root=root)
        note = notes.sign_note(notes.format_checkpoint(checkpoint), name, private_key)
        signed = SignedCheckpoint.objects.create(size=size, root=root, note=note)
    log.info("signed checkpoint %s of the ledger", size)
    return signed


def _root_extending(previous: SignedCheckpoint | None, size: int) -> bytes:
    """The stored tree's root at `size`, once it is proved to extend the `previous` checkpoint."""
    if previous is None:
        return tree_root(size)
    if size < previous.size:
        raise CheckpointRefused(
            f"the ledger has {size} entries, fewer than the {previous.size} of the last checkpoint"
        )
    # What we signed is the note; its row's root column is only there for reading.
    body = checkpoint_body(previous.note)
    if (body.size, body.root) != (previous.size, bytes(previous.root)):
        raise CheckpointRefused(f"checkpoint {previous.size}: its note and its row disagree")
    if previous.size == 0:
        return tree_root(size)  # every tree extends the empty one
    # With no new entries the proof is empty and this compares the roots.
    old_root, new_root, proof = tree_roots_and_consistency_proof(previous.size, size)
    if not merkle.verify_consistency(previous.size, size, proof, body.root, new_root):
        raise CheckpointRefused(
            f"the stored tree does not extend checkpoint {previous.size}: its root at that size "
            f"is {_b64(old_root)}, the checkpoint signed {_b64(body.root)}"
        )
    return new_root
