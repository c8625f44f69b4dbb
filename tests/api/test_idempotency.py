"""Idempotency-Key: a retry gets the first response and writes nothing; another body with the
same key is a 409; keys are per organisation and kept at least IDEMPOTENCY_KEY_TTL_HOURS."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import IdempotencyRecord
from ledger.models import Entry, LedgerHead
from tests.api.support import assert_problem, event, scrap


def _send(client, body, key="receipt-7781", **extra):
    return client.post("/api/v1/events/", body, format="json", headers={"Idempotency-Key": key, **extra})


def test_a_retry_returns_the_first_response_and_writes_nothing(cast, client_for):
    client = client_for("alurec")
    body = event("scrap.received", scrap("SCR-1"))
    first = _send(client, body)
    retry = _send(client, body)
    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry["Content-Type"] == first["Content-Type"] == "application/json"
    assert retry["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert Entry.objects.count() == 1


def test_the_same_content_sent_with_other_spacing_or_key_order_is_the_same_request(cast, client_for):
    client = client_for("alurec")
    body = event("scrap.received", scrap("SCR-1"))
    first = _send(client, body)
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    retry = client.post(
        "/api/v1/events/",
        reordered,
        content_type="application/json",
        headers={"Idempotency-Key": "receipt-7781"},
    )
    assert retry.content == first.content and Entry.objects.count() == 1


def test_the_same_key_with_another_body_is_a_409_and_writes_nothing(cast, client_for):
    client = client_for("alurec")
    _send(client, event("scrap.received", scrap("SCR-1")))
    other = _send(client, event("scrap.received", scrap("SCR-2")))
    assert_problem(other, 409, "idempotency_key_reused")
    assert list(Entry.objects.values_list("seq", flat=True)) == [1]


def test_refusals_are_replayed_too(loop, client_for):
    client = client_for("alurec")
    overdraw = event(
        "melt.recorded",
        {"furnace": "TC-65", "inputs": [{"lot": "SCR-A", "mass_kg": "2500"}], "output_mass_kg": "2400"},
    )
    first = _send(client, overdraw)
    assert_problem(first, 409, "overdrawn")
    retry = _send(client, overdraw)
    assert (retry.status_code, retry.content) == (409, first.content)
    assert retry["Content-Type"] == "application/problem+json"
    assert Entry.objects.count() == 8


def test_keys_are_scoped_per_organisation(cast, client_for):
    first = _send(client_for("alurec"), event("scrap.received", scrap("SCR-1")))
    second = _send(client_for("wheelworks"), event("scrap.received", scrap("SCR-2")))
    assert first.status_code == second.status_code == 201
    assert Entry.objects.count() == 2


def test_keys_are_kept_for_the_retention_and_may_be_used_afresh_after_it(cast, client_for, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    client = client_for("alurec")
    _send(client, event("scrap.received", scrap("SCR-1")))
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=23))
    assert _send(client, event("scrap.received", scrap("SCR-2"))).status_code == 409
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert _send(client, event("scrap.received", scrap("SCR-2"))).status_code == 201
    assert Entry.objects.count() == 2


def test_beat_purges_the_records_past_their_retention_every_hour(cast, client_for, settings):
    from accounts.tasks import idempotency_keys_purge
    from config.celery import app

    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    client = client_for("alurec")
    _send(client, event("scrap.received", scrap("SCR-1")), key="old")
    _send(client, event("scrap.received", scrap("SCR-2")), key="new")
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_keys_purge.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    schedule = app.conf.beat_schedule["idempotency-purge"]
    assert (schedule["task"], schedule["schedule"]) == (idempotency_keys_purge.name, 3600)


@pytest.mark.parametrize("key", ["", "k" * 256, "clé"])
def test_unusable_keys_are_refused(cast, client_for, key):
    response = _send(client_for("alurec"), event("scrap.received", scrap("SCR-1")), key=key)
    body = assert_problem(response, 400, "invalid")
    assert list(body["errors"]) == ["Idempotency-Key"]
    assert Entry.objects.count() == 0


def test_without_a_key_every_post_is_new(cast, client_for):
    client = client_for("alurec")
    body = event("scrap.received", {k: v for k, v in scrap("x").items() if k != "code"})
    client.post("/api/v1/events/", body, format="json")
    client.post("/api/v1/events/", body, format="json")
    assert Entry.objects.count() == 2 and IdempotencyRecord.objects.count() == 0


COPIES = 5


@pytest.mark.postgres
def test_five_concurrent_copies_write_one_entry_and_get_identical_answers(transactional_db, cast, keys):
    body = event("scrap.received", {k: v for k, v in scrap("x").items() if k != "code"})
    start = threading.Barrier(COPIES)
    answers, errors = [None] * COPIES, []

    def client_thread(index):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {keys['alurec']}")
            start.wait()
            response = _send(client, body, key="weighbridge-1")
            answers[index] = (response.status_code, response.content)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=client_thread, args=(i,)) for i in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert {status for status, _ in answers} == {201}
    assert len({content for _, content in answers}) == 1
    # One receipt; the only other entry is the roll-up's anchor of the receipt's carbon state.
    assert Entry.objects.exclude(type="footprint.computed").count() == 1
    assert Entry.objects.count() == LedgerHead.objects.get().seq
    assert IdempotencyRecord.objects.count() == 1
