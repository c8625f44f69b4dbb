"""Queueing roll-ups: mark entries pending in the writer's transaction, start a task on commit."""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from ledger.rows import rows_insert
from passports.models import PendingRollup

log = logging.getLogger(__name__)


def rollup_enqueue(*, seqs: Iterable[int]) -> None:
    """Mark entries as pending a roll-up and ask a worker for one once the caller commits.

    If the broker cannot be reached the entries stay pending, and the beat job rolls them
    up later: the event itself is never refused for that.
    """
    now = timezone.now()
    rows_insert(PendingRollup, ("entry", "created_at"), [(seq, now) for seq in seqs], ignore_conflicts=True)
    # One roll-up per commit is enough however many events the transaction wrote (the demo
    # month writes thousands in one). A callback already queued can only be dropped by the
    # rollback of a savepoint still open, and we are inside it: this work would go too.
    connection = transaction.get_connection()
    if not any(func is _start_rollup for _savepoints, func, _robust in connection.run_on_commit):
        transaction.on_commit(_start_rollup)


def _start_rollup() -> None:
    from passports.tasks import rollup

    try:
        rollup.apply_async(retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: the beat job catches up
        log.warning("could not queue a roll-up; the beat job will pick the pending entries up", exc_info=True)
