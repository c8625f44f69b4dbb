"""Celery tasks of the passports app."""

from celery import shared_task
from django.db import DatabaseError

from config.publish import CoalescedTask
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
    ROLLUP.started()  # before reading what is pending, so nothing committed later is missed
    run = rollup_run()
    return run.pk if run else None


# Commits ask for a run through this (passports.queue); set while one is queued and not
# started, the flag makes partners posting a hundred events a second cost the broker one task
# per run, not one per event.
QUEUED_FLAG = "remelt:rollup-queued:{queue}"
ROLLUP = CoalescedTask(rollup, flag=QUEUED_FLAG)
