"""GET /healthz reports the database, the broker and the apps' jobs, within its bound."""

import time
from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from config.health import Health, health_check_register
from ledger.models import Entry
from ledger.services import entry_append
from passports.models import PendingRollup


def test_healthz_reports_database_and_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["rollups"]) == ("ok", "ok", "ok")


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")  # nothing listens on port 1
def test_an_unreachable_broker_is_degraded_not_down(client, db):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["database"]) == ("degraded", "ok")
    assert body["broker"].startswith("unreachable")


def _pending_since(seconds: float) -> None:
    entry = entry_append(
        type="bench.note", organisation=None, actor="system", occurred_at=timezone.now(), data={}
    )
    PendingRollup.objects.create(entry=Entry.objects.get(seq=entry.seq), created_at=timezone.now())
    PendingRollup.objects.update(created_at=timezone.now() - timedelta(seconds=seconds))


@override_settings(ROLLUP_LAG_DEGRADED_SECONDS=600)
def test_roll_ups_far_behind_are_degraded(client, db):
    _pending_since(30)
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["rollups"].startswith("ok (1 entries pending")
    _pending_since(900)
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["rollups"].startswith("behind: 2 entries pending, the oldest for 9")


def test_a_check_that_raises_is_reported_not_a_500(client, db):
    def broken() -> Health:
        raise RuntimeError("disk gone")

    health_check_register("test-broken", broken)
    try:
        started = time.monotonic()
        response = client.get("/healthz")
        assert time.monotonic() - started < 2
    finally:
        from config import health

        health._checks.pop("test-broken")
    assert response.status_code == 200
    assert response.json()["test-broken"] == "check failed: RuntimeError: disk gone"
    assert response.json()["status"] == "degraded"
