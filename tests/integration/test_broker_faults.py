"""A broker that accepts connections and never answers, or an address where nothing listens,
neither slows down nor fails a partner's POST; /healthz answers within its bound and says
`degraded`; once the broker is back, what was committed meanwhile is rolled up."""

import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from config import stack
from ledger.models import Lot
from passports.models import PendingRollup
from tests.integration.support import (
    FaultyBroker,
    partner_client,
    point_app_at,
    run_events,
    start,
    stop,
    wait_for_footprints,
)

NOTHING_LISTENS = "redis://127.0.0.1:1/0"
POST_BOUND = 1.0  # seconds: the acceptance bound for a POST while the broker misbehaves
HEALTH_BOUND = 2.0  # seconds: /healthz answers within this, whatever the broker does

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not settings.CELERY_BROKER_URL, reason="needs CELERY_BROKER_URL (a real Redis)"),
]


@pytest.fixture
def faulty_broker():
    real = urlsplit(settings.CELERY_BROKER_URL)
    broker = FaultyBroker((real.hostname, real.port or 6379))
    yield broker
    broker.close()


def _broker_db() -> int:
    return int(urlsplit(settings.CELERY_BROKER_URL).path.strip("/") or 0)


def _use_broker(url: str, settings) -> None:
    """This process (the web side) publishes to, and /healthz probes, `url`."""
    settings.CELERY_BROKER_URL = url
    point_app_at(url)


def _timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def _post_within_bound(client, prefix: str) -> list[str]:
    response, seconds = _timed(lambda: client.post("/api/v1/events/", run_events(prefix), format="json"))
    assert response.status_code == 201, response.content
    assert seconds < POST_BOUND, f"POST took {seconds:.2f} s"
    return [f"{prefix}-W{i}" for i in range(3)]


def _health_within_bound(client) -> dict:
    response, seconds = _timed(lambda: client.get("/healthz"))
    assert seconds < HEALTH_BOUND, f"/healthz took {seconds:.2f} s"
    assert response.status_code == 200, response.content
    return response.json()


def test_a_broker_that_never_answers_costs_a_post_nothing_and_rolls_up_once_back(
    queue, alurec, faulty_broker, settings, client
):
    _use_broker(faulty_broker.url(_broker_db()), settings)
    partner = partner_client(alurec, "mes")
    first = _post_within_bound(partner, "HANG1")
    second = _post_within_bound(partner, "HANG2")  # while the first publish still hangs
    assert Lot.objects.filter(code__in=first + second).count() == 6
    assert PendingRollup.objects.count() == 6

    body = _health_within_bound(client)
    assert (body["status"], body["database"]) == ("degraded", "ok")
    assert body["broker"].startswith("unreachable"), body

    # The broker comes back: a worker (on the real Redis) rolls up what was committed, with
    # no new commit and no beat to start it.
    worker = start(queue, stack.WORKER, "--pool=solo", "--without-gossip", "--without-mingle")
    try:
        faulty_broker.forward()
        assert wait_for_footprints(first + second, seconds=60), stop(worker)
        assert PendingRollup.objects.count() == 0
        assert _health_within_bound(client)["broker"] == "ok"
    finally:
        stop(worker)


def test_a_refused_broker_port_costs_a_post_nothing(queue, alurec, settings, client):
    _use_broker(NOTHING_LISTENS, settings)
    partner = partner_client(alurec, "mes")
    _post_within_bound(partner, "REF1")
    _post_within_bound(partner, "REF2")
    assert PendingRollup.objects.count() == 6
    body = _health_within_bound(client)
    assert body["status"] == "degraded" and body["broker"].startswith("unreachable"), body
