"""Witness cosignatures of our checkpoints (C2SP tlog-cosignature), kept beside the notes.

A checkpoint's note is signed once, by us, and never changes (`ledger_checkpoint` is
append-only); the witnesses that checked it later add their cosignature lines. Notes are served
with those lines appended (`checkpoint_note`), so a reader can require that k of the witnesses
it trusts cosigned before it believes a checkpoint. The witness app asks the witnesses and
stores their answers here; the ledger itself talks to nobody.
"""

from django.db.models import Count
from remelt_verify.cosignature import cosignatures_verify
from remelt_verify.notes import NoteError

from ledger.models import Cosignature, SignedCheckpoint


def cosignature_add(*, checkpoint: SignedCheckpoint, witness: str, line: str) -> Cosignature:
    """Store the cosignature `line` of the witness whose verifier key is `witness`, once it is
    checked against the checkpoint's note; NoteError if it does not verify. A witness's later
    cosignature of the same checkpoint is not stored again (the first one stands)."""
    if not line.endswith("\n") or line.count("\n") != 1:
        raise NoteError("malformed", "a cosignature is one signature line ending in a newline")
    (cosigned,) = cosignatures_verify(checkpoint.note + line, [witness]) or [None]
    if cosigned is None:
        raise NoteError("unknown key", f"the line is not a cosignature by {witness.split('+', 1)[0]}")
    stored, _created = Cosignature.objects.get_or_create(
        checkpoint=checkpoint, witness=witness, defaults={"line": line, "timestamp": cosigned.timestamp}
    )
    return stored


def checkpoint_note(checkpoint: SignedCheckpoint) -> str:
    """The checkpoint's signed note with every cosignature stored for it appended."""
    lines = checkpoint.cosignatures.order_by("witness").values_list("line", flat=True)
    return checkpoint.note + "".join(lines)


def checkpoint_cosigned(min_size: int) -> SignedCheckpoint | None:
    """The checkpoint of at least `min_size` entries with the most cosignatures, the largest
    among equals; None if no checkpoint of that size is cosigned."""
    return (
        SignedCheckpoint.objects.filter(size__gte=min_size)
        .annotate(cosigned=Count("cosignatures"))
        .filter(cosigned__gt=0)
        .order_by("-cosigned", "-size")
        .first()
    )
