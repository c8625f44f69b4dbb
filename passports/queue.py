"""Queueing roll-ups: mark entries pending in the writer's transaction, start a task on commit
(unless one is queued already)."""

import logging
from collections.abc import Iterable

import redis
from django.db import transaction
from django.utils import timezone

from ledger.events import EVENT_TYPES
from ledger.rows import rows_insert
from passports.models import PendingRollup

log = logging.getLogger(__name__)


def entries_appended_receiver(sender, *, entries, **_kwargs) -> None:
    """The ledger appended entries: those of the material record wait for a roll-up."""
    seqs = [entry.seq for entry in entries if entry.type in EVENT_TYPES]
    if seqs:
        rollup_enqueue(seqs=seqs)


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


# Set while a roll-up task is queued and not started: a run that has not started yet will see
# every entry committed before it starts, so commits meanwhile need not queue another. Partners
# posting a hundred events a second then cost the broker one task per run, not one per event.
QUEUED_FLAG = "remelt:rollup-queued:{queue}"
# A task lost with its broker must not silence the queue for long (beat catches up meanwhile).
QUEUED_FLAG_SECONDS = 60


def _start_rollup() -> None:
    from passports.tasks import rollup

    flag = _QueuedFlag(rollup.app)
    if not flag.claim():
        return  # a queued run will see this commit
    try:
        rollup.apply_async(retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: the beat job catches up
        flag.clear()
        log.warning("could not queue a roll-up; the beat job will pick the pending entries up", exc_info=True)


def rollup_started(app) -> None:
    """Called by the task before it reads what is pending: commits from now on queue a new run."""
    _QueuedFlag(app).clear()


class _QueuedFlag:
    """The "a roll-up is queued" flag, in the broker's Redis (none in eager mode or on another broker)."""

    _clients: dict[str, redis.Redis] = {}

    def __init__(self, app) -> None:
        url = app.conf.broker_url or ""
        self.client = None
        if not app.conf.task_always_eager and url.startswith(("redis://", "rediss://")):
            if url not in self._clients:
                self._clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
            self.client = self._clients[url]
        self.key = QUEUED_FLAG.format(queue=app.conf.task_default_queue)

    def claim(self) -> bool:
        """Set the flag; False if it was set already (a run is queued). True when in doubt."""
        if self.client is None:
            return True
        try:
            return bool(self.client.set(self.key, "1", nx=True, ex=QUEUED_FLAG_SECONDS))
        except redis.RedisError:
            return True  # queue anyway; apply_async reports the broker's trouble

    def clear(self) -> None:
        if self.client is None:
            return
        try:
            self.client.delete(self.key)
        except redis.RedisError:
            log.warning("could not clear the roll-up queued flag; it expires in %s s", QUEUED_FLAG_SECONDS)
