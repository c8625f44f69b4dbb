"""Celery tasks of the accounts app."""

from celery import shared_task

from config.api.idempotency import idempotency_purge


@shared_task(name="accounts.tasks.idempotency_purge", soft_time_limit=300, time_limit=360)
def idempotency_keys_purge() -> int:
    """Delete idempotency records past their retention (beat, hourly); how many went. Safe to run twice."""
    return idempotency_purge()
