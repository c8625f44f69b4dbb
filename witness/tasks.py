"""Celery tasks of the witness app."""

from celery import shared_task

from config.publish import CoalescedTask
from witness.services import witnesses_submit as submit


@shared_task(name="witness.tasks.witnesses_submit", soft_time_limit=60, time_limit=90)
def witnesses_submit() -> list[str]:
    """Submit the latest checkpoint to the witnesses (after each signing, and by beat). Safe to
    run twice: a witness that cosigned it is not asked again."""
    WITNESSES_SUBMIT.started()  # before reading the latest checkpoint: later ones queue a new run
    return [f"{result.witness.split('+', 1)[0]}: {result.detail}" for result in submit()]


WITNESSES_SUBMIT = CoalescedTask(witnesses_submit, flag="remelt:witness-queued:{queue}")
