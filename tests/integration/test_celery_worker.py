"""A real Celery worker on the local Redis rolls up what partners post; a broker outage
loses nothing, because beat picks up what was committed meanwhile."""

import time

import pytest
from django.conf import settings

from config import stack
from ledger.models import Lot
from passports.models import Footprint, PendingRollup
from tests.integration.support import point_app_at, post_run, start, stop, wait_for_footprints

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: an outage, not a stopped Redis
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not settings.CELERY_BROKER_URL, reason="needs CELERY_BROKER_URL (a real Redis)"),
]


def test_worker_rolls_up_posted_events_and_beat_catches_up_after_an_outage(queue, alurec, tmp_path):
    worker = start(queue, stack.WORKER, "--pool=solo", "--without-gossip", "--without-mingle")
    beat = None
    try:
        serials = post_run(alurec, "IT1")
        assert wait_for_footprints(serials), stop(worker)
        assert PendingRollup.objects.count() == 0

        point_app_at(CLOSED_PORT_BROKER)
        serials = post_run(alurec, "IT2")  # the broker is unreachable: the events still commit
        assert Lot.objects.filter(code__in=serials).count() == 3
        assert PendingRollup.objects.count() == 3
        time.sleep(2)
        assert not Footprint.objects.filter(lot__code__in=serials).exists()

        beat = start(queue, stack.BEAT, "--schedule", str(tmp_path / "beat-schedule"))
        assert wait_for_footprints(serials), stop(beat) + stop(worker)
        assert PendingRollup.objects.count() == 0
    finally:
        if beat is not None:
            stop(beat)
        stop(worker)
