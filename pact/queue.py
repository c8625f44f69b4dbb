"""Queueing PACT work: rows written in the writer's transaction, tasks started once it
commits; Celery beat runs the same tasks as a backstop (a broker that was down loses nothing)."""

import logging

from django.db import transaction

from ledger.events import ENTRY_VOIDED

log = logging.getLogger(__name__)

FOOTPRINT_COMPUTED = "footprint.computed"  # passports' roll-up anchor (passports.services)


def entries_appended_receiver(sender, *, entries, **_kwargs) -> None:
    """A roll-up anchored new footprint versions, or a void withdrew lots: publish them."""
    from pact.services import sync_enqueue

    relevant = [entry for entry in entries if entry.type in (FOOTPRINT_COMPUTED, ENTRY_VOIDED)]
    if relevant:
        sync_enqueue(entries=relevant)


def _start(task, *args) -> None:
    try:
        task.apply_async(args=args, retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: beat picks the work up
        log.warning("could not queue %s%r; Celery beat will pick it up", task.name, args, exc_info=True)


def sync_on_commit() -> None:
    """Start a sync once the caller commits; one per commit, however many anchors it wrote."""
    connection = transaction.get_connection()
    if not any(func is _sync_start for _savepoints, func, _robust in connection.run_on_commit):
        transaction.on_commit(_sync_start)


def _sync_start() -> None:
    from pact.tasks import sync

    _start(sync)


def delivery_start(delivery_id: int) -> None:
    from pact.tasks import deliver

    _start(deliver, delivery_id)


def request_answer_start(inbound_id: int) -> None:
    from pact.tasks import request_answer

    _start(request_answer, inbound_id)


def published_received(*, client, pf_ids: list[str]) -> None:
    """A supplier's host announced new footprints: import each, for every organisation whose
    supplier host sends its events as this client (once the caller commits)."""
    from pact.models import SupplierHost
    from pact.tasks import footprint_fetch

    for host_id in SupplierHost.objects.filter(inbound_client=client).values_list("pk", flat=True):
        for pf_id in pf_ids:
            transaction.on_commit(
                lambda host_id=host_id, pf_id=pf_id: _start(footprint_fetch, host_id, pf_id)
            )
