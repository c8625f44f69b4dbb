"""Celery tasks of the passports app."""

from celery import shared_task
from django.db import DatabaseError

from passports.queue import rollup_started
from passports.services import rollup_run


@shared_task(
    name="passports.rollup",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=600,
    time_limit=660,
)
def rollup() -> int | None:
    """Roll up whatever is pending; queued after events commit and by beat. Safe to run twice."""
    rollup_started(rollup.app)  # before reading what is pending, so nothing committed later is missed
    run = rollup_run()
    return run.pk if run else None
