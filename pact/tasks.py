"""Celery tasks of the PACT app. Each drains an outbox (take nothing, call a service) and is
safe to run twice, or on several workers at once: rows are claimed with conditional updates
(see the services' docstrings). Commits ask for them through `pact.queue`; beat runs them
every minute, which also retries what failed once its back-off is over."""

from celery import shared_task
from django.db import DatabaseError

from config.publish import CoalescedTask
from pact import services

RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "max_retries": 5}


@shared_task(name="pact.sync", **RETRY)
def sync() -> int:
    """Publish the ProductFootprints of anchored footprint versions."""
    SYNC.started()  # before reading what is pending, so nothing committed later is missed
    return services.footprints_sync()


@shared_task(name="pact.deliver_due", **RETRY)
def deliver_due() -> int:
    """Send every event whose attempt is due; the number delivered."""
    DELIVER.started()
    return services.deliveries_send()


@shared_task(name="pact.answer_requests", **RETRY)
def answer_requests() -> int:
    """Fulfil or reject every accepted RequestCreatedEvent not answered yet."""
    ANSWER.started()
    return services.requests_answer()


@shared_task(name="pact.import_announced", **RETRY)
def import_announced() -> int:
    """Import the footprints suppliers' hosts announced, whose attempt is due."""
    IMPORT.started()
    return services.imports_fetch()


SYNC = CoalescedTask(sync, flag="remelt:pact-sync-queued:{queue}")
DELIVER = CoalescedTask(deliver_due, flag="remelt:pact-deliver-queued:{queue}")
ANSWER = CoalescedTask(answer_requests, flag="remelt:pact-answer-queued:{queue}")
IMPORT = CoalescedTask(import_announced, flag="remelt:pact-import-queued:{queue}")
