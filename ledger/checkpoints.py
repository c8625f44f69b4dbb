"""Signed checkpoints of the ledger's Merkle tree, and the key that signs them.

A checkpoint is a C2SP tlog-checkpoint note (origin, tree size, base64 root) signed with
Ed25519 as a C2SP signed note (see `remelt_verify.notes`). Partners keep them: a later checkpoint
plus a consistency proof shows them that today's ledger extends the one they saw, so a
rewrite of history is caught even if it was made by someone with full control of our database.
"""

import base64
import contextlib
import fcntl
import json
import logging
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from remelt_verify import merkle, notes

from config.health import Health
from ledger.errors import DomainError
from ledger.models import SignedCheckpoint
from ledger.signals import checkpoint_signed
from ledger.tree import tree_root, tree_roots_and_consistency_proof, tree_size

log = logging.getLogger(__name__)

DEV_KEY_FILE = "ledger-signing-key"
# Any constant will do: it names the lock that lets one signer at a time work on PostgreSQL.
_SIGNING_LOCK = 0x6C656467  # "ledg"


class CheckpointRefused(DomainError):
    """The stored tree does not extend the last signed checkpoint: nothing is signed.

    A request that needs a new checkpoint (an evidence bundle) answers 503 with the reason.
    """

    def __init__(self, message: str) -> None:
        super().__init__("checkpoint_refused", message, status=503)


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

    The signer remembers what it signed last (size, root and note) in its state file, outside
    the database it checks (`SignerMemory`). Before signing, the stored tree must prove, with a
    consistency proof, that it extends that checkpoint; if it does not, CheckpointRefused is
    raised, the refusal is written to the state file (/healthz and the admin show it) and
    nothing is signed, even if the stored checkpoints were deleted. The state is written
    (write, fsync, rename) before the checkpoint is stored, so nothing is ever published that
    the signer does not remember. The check runs even when there is nothing new to sign, so a
    rewritten database is refused within seconds. Safe to run twice or in several processes at
    once: signers take turns (a lock on the state file, and one in PostgreSQL), and `size` is
    unique in the table, so there can never be two roots for one size.
    """
    name, private_key = signing_key()
    memory = SignerMemory(signer_state_path())
    with memory.locked(), transaction.atomic():
        if connection.vendor == "postgresql":
            # SQLite needs no lock: its write transactions already run one at a time.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SIGNING_LOCK])
        remembered = memory.read()  # a state file that cannot be read is refused as it is
        known = remembered if remembered is not None and remembered.size is not None else None
        # No lock on the head: the tree up to any committed head is complete and never changes.
        size = tree_size()
        try:
            reference = _reference(known, checkpoint_latest())
            root = _root_extending(reference, size)
        except CheckpointRefused as exc:
            memory.refuse(remembered, reason=str(exc), size=size)
            log.error("refused to sign checkpoint %s of the ledger: %s", size, exc)
            raise
        if reference is not None and size == reference.size:
            if known is None or known.refused:
                memory.write(replace(reference, refused=None))  # remembered from now on; or extended again
            # Republish what we signed if the table lost it; otherwise there is nothing new.
            SignedCheckpoint.objects.get_or_create(size=size, defaults={"root": root, "note": reference.note})
            return None  # but the check above still ran, as a tripwire
        checkpoint = notes.Checkpoint(origin=settings.LEDGER_ORIGIN, size=size, root=root)
        note = notes.sign_note(notes.format_checkpoint(checkpoint), name, private_key)
        memory.write(Remembered(size=size, root=root, note=note))
        signed = SignedCheckpoint.objects.create(size=size, root=root, note=note)
        checkpoint_signed.send(sender=SignedCheckpoint, checkpoint=signed)
    log.info("signed checkpoint %s of the ledger", size)
    return signed


def _reference(remembered: "Remembered | None", stored: SignedCheckpoint | None) -> "Remembered | None":
    """What a new checkpoint must extend: what the signer remembers signing.

    Only a signer without a state file yet (a deployment older than it, or the first start)
    takes the latest checkpoint in the database, and remembers it from then on.
    """
    if remembered is None:
        if stored is None:
            return None
        # What we signed is the note; its row's root column is only there for reading.
        body = checkpoint_body(stored.note)
        if (body.size, body.root) != (stored.size, bytes(stored.root)):
            raise CheckpointRefused(f"checkpoint {stored.size}: its note and its row disagree")
        log.warning(
            "the checkpoint signer has no state file at %s yet: it starts from checkpoint %s in the "
            "database and remembers what it signs from now on",
            signer_state_path(),
            stored.size,
        )
        return Remembered(size=body.size, root=body.root, note=stored.note)
    if stored is not None and stored.size > remembered.size:
        raise CheckpointRefused(
            f"the database holds checkpoint {stored.size}, beyond the {remembered.size} this signer "
            f"signed last (a second signer with another state file, or a row written behind its back)"
        )
    if stored is not None and stored.size == remembered.size and stored.note != remembered.note:
        raise CheckpointRefused(f"the database's checkpoint {stored.size} is not the one this signer signed")
    return remembered


def _root_extending(reference: "Remembered | None", size: int) -> bytes:
    """The stored tree's root at `size`, once it is proved to extend the `reference` checkpoint."""
    if reference is None:
        return tree_root(size)
    if size < reference.size:
        raise CheckpointRefused(
            f"the ledger has {size} entries, fewer than the {reference.size} of the last checkpoint"
        )
    if reference.size == 0:
        return tree_root(size)  # every tree extends the empty one
    # With no new entries the proof is empty and this compares the roots.
    old_root, new_root, proof = tree_roots_and_consistency_proof(reference.size, size)
    if not merkle.verify_consistency(reference.size, size, proof, reference.root, new_root):
        raise CheckpointRefused(
            f"the stored tree does not extend checkpoint {reference.size}: its root at that size "
            f"is {_b64(old_root)}, the checkpoint signed {_b64(reference.root)}"
        )
    return new_root


# ---------------------------------------------------------------------------------------------
# The signer's memory


def signer_state_path() -> Path:
    """LEDGER_SIGNER_STATE (by default `ledger-signer-state.json` under VAR_DIR, beside the
    development key)."""
    return Path(settings.LEDGER_SIGNER_STATE)


@dataclass(frozen=True)
class Remembered:
    """The last checkpoint the signer signed (size None: none yet), and its last refusal if it
    refused since."""

    size: int | None
    root: bytes
    note: str
    signed_at: str = ""
    refused: dict | None = None  # {"at", "size", "reason"}


class SignerMemory:
    """The signer's state file: JSON `{"size", "root" (base64), "note", "signed_at", "refused"}`.

    It lives outside the database (LEDGER_SIGNER_STATE, on a volume of its own in production),
    so someone who can rewrite the database cannot make the signer forget what it signed.
    Written atomically (a temporary file beside it, fsync, rename, fsync of the directory), so
    a crash leaves the old state or the new one, never half of either.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def locked(self):
        """Hold the signers' lock (a lock file beside the state) for the block."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def read(self) -> Remembered | None:
        """What the file says, or None when there is no file yet; a broken file is refused."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text)
            return Remembered(
                size=None if data["size"] is None else int(data["size"]),
                root=base64.b64decode(data["root"], validate=True),
                note=str(data["note"]),
                signed_at=str(data.get("signed_at", "")),
                refused=data.get("refused"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointRefused(f"the signer's state file {self.path} cannot be read: {exc}") from None

    def write(self, remembered: Remembered) -> None:
        data = {
            "size": remembered.size,
            "root": _b64(remembered.root),
            "note": remembered.note,
            "signed_at": remembered.signed_at
            or (timezone.now().isoformat() if remembered.size is not None else ""),
            "refused": remembered.refused,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(descriptor, "w") as state_file:
                json.dump(data, state_file, indent=1)
                state_file.write("\n")
                state_file.flush()
                os.fsync(state_file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a crash
        finally:
            os.close(directory)

    def refuse(self, remembered: Remembered | None, *, reason: str, size: int) -> None:
        """Record a refusal; what was signed stays remembered."""
        refused = {"at": timezone.now().isoformat(), "size": size, "reason": reason}
        if remembered is None:
            remembered = Remembered(size=None, root=b"", note="")  # refused before it ever signed
        self.write(replace(remembered, refused=refused))


def signer_health() -> Health:
    """For /healthz: a refusal makes it degraded, with the reason."""
    try:
        remembered = SignerMemory(signer_state_path()).read()
    except CheckpointRefused as exc:
        return Health(False, _("refused: %(reason)s") % {"reason": exc})
    if remembered is None:
        return Health(True, _("no checkpoint signed yet"))
    if remembered.refused:
        refused = remembered.refused
        return Health(
            False,
            _("refused since %(at)s (ledger size %(size)s): %(reason)s")
            % {"at": refused["at"], "size": refused["size"], "reason": refused["reason"]},
        )
    return Health(
        True,
        _("ok (signed size %(size)s at %(at)s; state %(path)s)")
        % {"size": remembered.size, "at": remembered.signed_at, "path": signer_state_path()},
    )
