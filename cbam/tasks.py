"""Celery tasks of the CBAM app."""

from celery import shared_task
from django.db import DatabaseError

from cbam.services import reports_compute
from config.publish import CoalescedTask


@shared_task(name="cbam.reports", autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def reports() -> int:
    """Compute the pending CBAM reports; queued after a commit that may change one, and by beat.

    Safe to run twice, or in two workers at once: each period is claimed by a conditional
    update, and a version is written under its period's row lock only when the figures differ
    from the current version's.
    """
    REPORTS.started()  # before reading what is pending, so nothing committed later is missed
    return len(reports_compute())


REPORTS = CoalescedTask(reports, flag="remelt:cbam-reports-queued:{queue}")
