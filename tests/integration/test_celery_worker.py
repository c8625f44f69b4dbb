"""A real Celery worker on the local Redis rolls up what partners post; a broker outage
loses nothing, because beat picks up what was committed meanwhile."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_key_issue
from config import stack
from config.celery import app as celery_app
from ledger.models import Lot
from passports.models import Footprint, PendingRollup

REPO = Path(__file__).resolve().parents[2]
CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: an outage, not a stopped Redis
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not settings.CELERY_BROKER_URL, reason="needs CELERY_BROKER_URL (a real Redis)"),
]


def point_app_at(broker_url: str) -> None:
    """Make this process's Celery app publish to another broker from now on."""
    celery_app.conf.broker_url = broker_url
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def queue(transactional_db):
    """A queue of our own, and the env that points processes at the test database and it."""
    name = f"remelt-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": name,
        "ROLLUP_STALE_SECONDS": "1",
        "LEDGER_CHECKPOINT_SECONDS": "3600",
    }
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = name
    celery_app.amqp.queues.select_add(name)
    yield env
    point_app_at(settings.CELERY_BROKER_URL)
    celery_app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE


def start(env, command: list[str], *args) -> subprocess.Popen:
    """Start one of the deployment's processes (config/stack.py), as dev.py stack and compose do."""
    program, *rest = command
    assert program == "celery"
    return subprocess.Popen(
        [sys.executable, "-m", "celery", *rest, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def post_run(org, prefix: str) -> list[str]:
    """A receipt, a melt and a run of 3 wheels, posted by the organisation's ERP as one batch."""
    now = (timezone.now() - timedelta(minutes=1)).isoformat()
    scrap, heat = f"{prefix}-S", f"{prefix}-M"
    events = [
        {
            "type": "scrap.received",
            "occurred_at": now,
            "data": {
                "code": scrap,
                "supplier": "x",
                "grade": "wheels",
                "category": "post_consumer",
                "mass_kg": "500",
                "transport": {"distance_km": "80", "mode": "truck"},
            },
        },
        {
            "type": "melt.recorded",
            "occurred_at": now,
            "data": {
                "code": heat,
                "furnace": "F",
                "inputs": [{"lot": scrap, "mass_kg": "500"}],
                "output_mass_kg": "480",
                "energy": {"natural_gas_m3": "40"},
            },
        },
        {
            "type": "parts.produced",
            "occurred_at": now,
            "data": {
                "inputs": [{"lot": heat, "mass_kg": "40"}],
                "parts": [
                    {"serial": f"{prefix}-W{i}", "mass_kg": "11", "part_number": "AW"} for i in range(3)
                ],
                "energy": {"electricity_kwh": "20"},
            },
        },
    ]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_issue(organisation=org, name=prefix).token}")
    response = client.post("/api/v1/events/", events, format="json")
    assert response.status_code == 201, response.content
    return [f"{prefix}-W{i}" for i in range(3)]


def wait_for_footprints(serials, seconds=60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if Footprint.objects.filter(lot__code__in=serials, superseded_at__isnull=True).count() == len(
            serials
        ):
            return True
        time.sleep(0.3)
    return False


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
