"""Queueing PACT work: outbox rows written in the writer's transaction, a task asked for once
it commits (published off the request path and coalesced: config.publish), and Celery beat
running the same tasks every minute as a backstop and for retries."""

from django.db import transaction

from ledger.events import ENTRY_VOIDED

FOOTPRINT_COMPUTED = "footprint.computed"  # passports' roll-up anchor (passports.services)


def entries_appended_receiver(sender, *, entries, **_kwargs) -> None:
    """A roll-up anchored new footprint versions, or a void withdrew lots: publish them."""
    from pact.services import sync_enqueue

    relevant = [entry for entry in entries if entry.type in (FOOTPRINT_COMPUTED, ENTRY_VOIDED)]
    if relevant:
        sync_enqueue(entries=relevant)


def _once_on_commit(callback) -> None:
    # One task per commit is enough, however many rows the transaction wrote.
    connection = transaction.get_connection()
    if not any(func is callback for _savepoints, func, _robust in connection.run_on_commit):
        transaction.on_commit(callback)


def _sync() -> None:
    from pact.tasks import SYNC

    SYNC.request()


def _deliver() -> None:
    from pact.tasks import DELIVER

    DELIVER.request()


def _answer() -> None:
    from pact.tasks import ANSWER

    ANSWER.request()


def _import() -> None:
    from pact.tasks import IMPORT

    IMPORT.request()


def sync_on_commit() -> None:
    """Publish pending footprints once the caller commits."""
    _once_on_commit(_sync)


def deliveries_on_commit() -> None:
    """Send the events the caller wrote once it commits."""
    _once_on_commit(_deliver)


def answers_on_commit() -> None:
    """Answer the requests the caller accepted once it commits."""
    _once_on_commit(_answer)


def imports_on_commit() -> None:
    """Fetch the footprints a supplier announced once the caller commits."""
    _once_on_commit(_import)
