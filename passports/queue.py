"""Queueing roll-ups: mark entries pending in the writer's transaction, start a task on commit."""

import logging
from collections.abc import Iterable

from django.db import transaction

from passports.models import PendingRollup

log = logging.getLogger(__name__)


def rollup_enqueue(*, seqs: Iterable[int]) -> None:
    """Mark entries as pending a roll-up and ask a worker for one once the caller commits.

    If the broker cannot be reached the entries stay pending, and the beat job rolls them
    up later: the event itself is never refused for that.
    """
    PendingRollup.objects.bulk_create([PendingRollup(entry_id=seq) for seq in seqs], ignore_conflicts=True)
    transaction.on_commit(_start_rollup)


def _start_rollup() -> None:
    from passports.tasks import rollup

    try:
        rollup.apply_async(retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: the beat job catches up
        log.warning("could not queue a roll-up; the beat job will pick the pending entries up", exc_info=True)
