"""Celery tasks of the PACT app; each takes ids (or nothing), calls a service and is safe to
run twice (see the services' docstrings for why)."""

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from pact import services
from pact.models import EventDelivery, SupplierHost
from pact.peers import PeerError


@shared_task(name="pact.sync", autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def sync() -> int:
    """Publish the ProductFootprints of anchored footprint versions (after each roll-up, and by beat)."""
    return services.footprints_sync()


@shared_task(name="pact.deliver", autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def deliver(delivery_id: int) -> str:
    """Send one event to a client's host; a failure waits for its back-off (beat retries it)."""
    return services.delivery_attempt(delivery_id=delivery_id)


@shared_task(name="pact.deliver_due")
def deliver_due() -> int:
    """Every event whose next attempt is due (beat, every minute): retries with back-off."""
    due = EventDelivery.objects.filter(
        delivered_at__isnull=True, abandoned_at__isnull=True, next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    return sum(services.delivery_attempt(delivery_id=pk) == "delivered" for pk in list(due[:500]))


@shared_task(name="pact.request_answer", autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def request_answer(inbound_id: int) -> int | None:
    """Fulfil or reject a client's RequestCreatedEvent."""
    delivery = services.request_answer(inbound_id=inbound_id)
    return delivery.pk if delivery else None


@shared_task(
    name="pact.footprint_fetch",
    bind=True,
    autoretry_for=(PeerError, DatabaseError),
    retry_backoff=60,
    retry_backoff_max=6 * 3600,
    max_retries=16,
)
def footprint_fetch(self, host_id: int, pf_id: str) -> int:
    """Import a footprint a supplier's host announced; retried with back-off while it cannot
    be reached. Safe to run twice: the same bytes are imported once."""
    host = SupplierHost.objects.select_related("organisation").get(pk=host_id)
    return services.footprint_fetch(host=host, pf_id=pf_id, actor=f"pact-host:{host.pk}").pk
