"""Queueing roll-ups: mark entries pending in the writer's transaction, ask for a task on commit
(published off the request path, unless one is queued already: config.publish)."""

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from config.health import Health
from ledger.events import EVENT_TYPES
from ledger.rows import rows_insert
from passports.models import PendingRollup


def entries_appended_receiver(sender, *, entries, **_kwargs) -> None:
    """The ledger appended entries: those of the material record wait for a roll-up."""
    seqs = [entry.seq for entry in entries if entry.type in EVENT_TYPES]
    if seqs:
        rollup_enqueue(seqs=seqs)


def rollup_enqueue(*, seqs: Iterable[int]) -> None:
    """Mark entries as pending a roll-up and ask a worker for one once the caller commits.

    The request never waits for the broker: a thread publishes, and tries again until the
    broker answers; the entries stay pending meanwhile (and beat rolls them up if this
    process goes away first). The event itself is never refused or delayed for that.
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
    from passports.tasks import ROLLUP

    ROLLUP.request()  # returns at once: a thread of this process publishes (or eager: runs it)


def rollup_health() -> Health:
    """For /healthz: how far roll-ups are behind; degraded once the oldest entry waiting has
    waited ROLLUP_LAG_DEGRADED_SECONDS (no worker, or a broker that stayed away)."""
    backlog = PendingRollup.objects.aggregate(count=Count("pk"), oldest=Min("created_at"))
    if not backlog["count"]:
        return Health(True, "ok")
    waited = (timezone.now() - backlog["oldest"]).total_seconds()
    detail = f"{backlog['count']} entries pending, the oldest for {waited:.0f} s"
    if waited > settings.ROLLUP_LAG_DEGRADED_SECONDS:
        return Health(False, f"behind: {detail}")
    return Health(True, f"ok ({detail})")
