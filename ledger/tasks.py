"""Celery tasks of the ledger app."""

from celery import shared_task

from ledger import checkpoints


@shared_task(name="ledger.tasks.checkpoint_sign", soft_time_limit=60, time_limit=90)
def checkpoint_sign() -> int | None:
    """Sign a checkpoint if the ledger grew (beat, every few seconds); the new size, or None.

    Safe to run twice: with nothing new it signs nothing. A tree that does not extend the
    last checkpoint raises CheckpointRefused, which fails the task loudly.
    """
    signed = checkpoints.checkpoint_sign()
    return signed.size if signed else None
