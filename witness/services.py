"""Submitting our checkpoints to witnesses (C2SP tlog-witness) and keeping their cosignatures.

For each witness of `LEDGER_WITNESSES` the log sends `POST <prefix>add-checkpoint` with the
size the witness holds for us ("old N"), the consistency proof from that size to the new
checkpoint (from the stored tree) and the signed note. The witness checks all of it against what
it kept and answers its cosignature, which is verified and stored beside the note
(`ledger.cosignatures`). A 409 that names another size (the witness saw a checkpoint we did not
record, e.g. after a restore) is retried once from that size. Any other refusal, or no answer,
is recorded on the witness's `WitnessState` and shows in /healthz and the admin: a witness that
refuses a checkpoint has seen a history this one does not extend.
"""

import base64
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from remelt_verify.notes import NoteError

from ledger.checkpoints import checkpoint_latest
from ledger.cosignatures import cosignature_add
from ledger.models import Cosignature, SignedCheckpoint
from ledger.tree import tree_roots_and_consistency_proof
from witness.models import WitnessState

log = logging.getLogger(__name__)

MAX_ANSWER = 64 * 1024


@dataclass(frozen=True)
class Submitted:
    """What one submission came to: cosigned, or the status and words of the refusal."""

    witness: str
    cosigned: bool
    status: int | None  # the witness's HTTP status; None if it did not answer
    detail: str


def checkpoint_signed_receiver(sender, *, checkpoint, **_kwargs) -> None:
    """A checkpoint was signed: once that commits, ask the witnesses (off the request path)."""
    if settings.LEDGER_WITNESSES:
        transaction.on_commit(_start_submission)


def _start_submission() -> None:
    from witness.tasks import WITNESSES_SUBMIT

    WITNESSES_SUBMIT.request()  # a thread publishes the task (eager: runs it here)


def witnesses_submit() -> list[Submitted]:
    """Submit the latest checkpoint to every configured witness; safe to run twice (a witness
    that cosigned it already is not asked again, and asking again would only re-cosign)."""
    latest = checkpoint_latest()
    if latest is None:
        return []
    return [witness_submit(url=url, key=key, checkpoint=latest) for url, key in settings.LEDGER_WITNESSES]


def add_checkpoint_body(old: int, proof: list[bytes], note: str) -> bytes:
    """The body of an add-checkpoint request (C2SP tlog-witness)."""
    lines = "".join(base64.b64encode(node).decode("ascii") + "\n" for node in proof)
    return f"old {old}\n{lines}\n{note}".encode()


def witness_submit(*, url: str, key: str, checkpoint: SignedCheckpoint) -> Submitted:
    """Ask one witness to cosign `checkpoint`; its state row records the outcome."""
    WitnessState.objects.get_or_create(key=key, defaults={"url": url})
    with transaction.atomic():
        # One submission per witness at a time: workers do not race each other's `old`.
        state = WitnessState.objects.select_for_update().get(key=key)
        state.url = url
        if Cosignature.objects.filter(checkpoint=checkpoint, witness=key).exists():
            return Submitted(key, True, 200, f"size {checkpoint.size} is cosigned already")
        old = state.cosigned_size
        for _attempt in range(2):
            if old > checkpoint.size:
                return _failed(
                    state,
                    None,
                    f"the witness holds size {old}, beyond our latest checkpoint {checkpoint.size}",
                )
            proof = (
                []
                if old in (0, checkpoint.size)
                else tree_roots_and_consistency_proof(old, checkpoint.size)[2]
            )
            try:
                status, content_type, text = _post(
                    url + "add-checkpoint", add_checkpoint_body(old, proof, checkpoint.note)
                )
            except OSError as exc:  # refused, unreachable, timed out
                return _failed(state, None, f"no answer from {url}: {exc}")
            if status == 409 and content_type.startswith("text/x.tlog.size") and text.strip().isdigit():
                held = int(text.strip())
                if held != old:
                    old = held  # the witness holds another size: prove from there
                    continue
            break
        if status != 200:
            return _failed(state, status, f"refused ({status}): {text.strip()[:500]}")
        stored = 0
        for line in text.splitlines(keepends=True):
            try:
                cosignature_add(checkpoint=checkpoint, witness=key, line=line)
                stored += 1
            except NoteError:
                continue  # lines by other keys of the witness are not ours to check
        if not stored:
            return _failed(state, 200, "answered 200 without a valid cosignature by its key")
        now = timezone.now()
        state.cosigned_size, state.cosigned_at, state.checked_at = checkpoint.size, now, now
        state.save()
    log.info("witness %s cosigned checkpoint %s", state.name, checkpoint.size)
    return Submitted(key, True, 200, f"cosigned size {checkpoint.size}")


def _failed(state: WitnessState, status: int | None, detail: str) -> Submitted:
    now = timezone.now()
    state.problem, state.problem_status, state.problem_at, state.checked_at = detail, status, now, now
    state.save()
    log.warning("witness %s: %s", state.name, detail)
    return Submitted(state.key, False, status, detail)


def _post(url: str, body: bytes) -> tuple[int, str, str]:
    """POST `body`; (status, content type, text of the answer), whatever the status."""
    request = urllib.request.Request(  # noqa: S310 - LEDGER_WITNESSES allows http(s) URLs only
        url, data=body, method="POST", headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.LEDGER_WITNESS_TIMEOUT) as answer:  # noqa: S310
            return answer.status, answer.headers.get("Content-Type", ""), _text(answer.read(MAX_ANSWER))
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Content-Type", ""), _text(error.read(MAX_ANSWER))


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
