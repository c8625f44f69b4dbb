"""A roll-up computes from one snapshot without the ledger head lock: events are recorded while
it runs and wait for the next run; two runs never interleave."""

import threading
from unittest import mock

import pytest
from django.db import connection

from ledger.models import Entry
from ledger.selectors import chain_verify
from passports.models import Footprint, PendingRollup, RollupRun
from passports.services import FOOTPRINT_COMPUTED, rollup_run
from tests.ledger.test_events import TRUCK_200, melt, receive, record

WAIT = 10  # seconds: only reached when something is wrong


@pytest.fixture
def line(transactional_db, alurec, wheelworks):
    """Scrap → melt → ingots → three wheels, committed one event at a time, none rolled up."""
    with mock.patch("passports.queue._start_rollup"):
        m1 = melt(alurec, [(receive(alurec, code="RC-S1"), "9000")], "8500")
        record(
            alurec,
            "ingots.cast",
            {
                "inputs": [{"lot": m1, "mass_kg": "8400"}],
                "outputs": [{"code": "RC-ING", "mass_kg": "8300", "alloy": "A356.2"}],
            },
        )
        record(
            alurec, "custody.transferred", {"lots": ["RC-ING"], "to": "wheelworks", "transport": TRUCK_200}
        )
        parts = [{"serial": f"RC-W{i}", "mass_kg": "10", "part_number": "AW-17"} for i in range(3)]
        record(wheelworks, "parts.produced", {"inputs": [{"lot": "RC-ING", "mass_kg": "31"}], "parts": parts})
        yield


def _in_thread(target) -> threading.Thread:
    def run():
        try:
            target()
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_run_outside_any_transaction_rolls_up_and_anchors_at_its_snapshot(line):
    assert PendingRollup.objects.exists()
    run = rollup_run()
    assert run.ledger_seq == Entry.objects.filter(type__startswith="parts").get().seq
    assert Footprint.objects.filter(lot__code__startswith="RC-W", superseded_at__isnull=True).count() == 3
    anchor = Entry.objects.get(type=FOOTPRINT_COMPUTED)
    assert (run.entry_id, anchor.data["ledger_seq"], anchor.data["run"]) == (
        anchor.seq,
        run.ledger_seq,
        run.pk,
    )
    assert not PendingRollup.objects.exists()
    assert rollup_run() is None  # nothing pending: nothing to do
    assert chain_verify().ok


@pytest.mark.postgres
def test_events_are_recorded_while_a_run_computes_and_wait_for_the_next_run(line, alurec):
    computing, release, done = threading.Event(), threading.Event(), {}

    def hold(message):
        if message.startswith("computing"):
            computing.set()
            release.wait(WAIT)

    runner = _in_thread(lambda: done.update(run=rollup_run(progress=hold)))
    assert computing.wait(WAIT)
    with mock.patch("passports.queue._start_rollup"):
        event = _in_thread(lambda: receive(alurec, code="RC-LATE"))
        event.join(WAIT / 2)
        assert not event.is_alive(), "an event waited for a roll-up that was only reading"
    late = Entry.objects.order_by("-seq").first().seq
    release.set()
    runner.join(WAIT)
    first = done["run"]
    assert first.ledger_seq < late
    assert list(PendingRollup.objects.values_list("entry_id", flat=True)) == [late]
    second = rollup_run()
    assert second.ledger_seq > late and not PendingRollup.objects.exists()
    assert chain_verify().ok


@pytest.mark.postgres
def test_a_second_run_waits_for_the_first(line):
    computing, release = threading.Event(), threading.Event()
    runs = {}

    def hold(message):
        if message.startswith("computing") and not computing.is_set():
            computing.set()
            release.wait(WAIT)

    first = _in_thread(lambda: runs.update(first=rollup_run(progress=hold)))
    assert computing.wait(WAIT)
    second = _in_thread(lambda: runs.update(second=rollup_run()))
    second.join(1)
    assert second.is_alive() and runs == {}  # queued on the advisory lock
    release.set()
    first.join(WAIT)
    second.join(WAIT)
    assert not first.is_alive() and not second.is_alive()
    # Which thread reports first once the lock is free is up to the scheduler; what the runs
    # did is not: the first rolled everything up, and the second, let in only after the first
    # committed, found nothing pending.
    assert isinstance(runs["first"], RollupRun)
    assert runs["second"] is None
    assert list(RollupRun.objects.values_list("pk", flat=True)) == [runs["first"].pk]
    assert not PendingRollup.objects.exists()
