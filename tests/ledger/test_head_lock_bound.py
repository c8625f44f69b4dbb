"""The ledger head is locked only for what needs it: a request's lots are locked and its rules
run, its codes made and payloads committed before it takes the head, which it holds for the
chain and the writes. Writers that lock lots in any order neither deadlock nor overdraw."""

import random
import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ledger import services
from ledger.errors import DomainError
from ledger.models import Entry, Lot, payload_data
from ledger.projection import projection_drift
from ledger.selectors import chain_verify
from ledger.services import EventInput, events_record

TRUCK = {"distance_km": "80", "mode": "truck"}


def _when(minutes: int = 0):
    return timezone.now() - timedelta(hours=1) + timedelta(minutes=minutes)


def _scrap(code: str | None = None, mass: str = "1000") -> EventInput:
    data = {
        "supplier_name": "x",
        "grade": "wheels",
        "category": "post_consumer",
        "mass_kg": mass,
        "transport": TRUCK,
    }
    if code:
        data["code"] = code
    return EventInput("scrap.received", _when(), data)


def _melt(inputs: list[tuple[str, str]], output: str, code: str | None = None) -> EventInput:
    data = {
        "furnace": "TC-65",
        "inputs": [{"lot": lot, "mass_kg": mass} for lot, mass in inputs],
        "output_mass_kg": output,
    }
    if code:
        data["code"] = code
    return EventInput("melt.recorded", _when(1), data)


def _run(melt: str, serials: list[str], scrap_code: str | None = None) -> EventInput:
    internal = {"mass_kg": "5"} | ({"code": scrap_code} if scrap_code else {})
    data = {
        "inputs": [{"lot": melt, "mass_kg": str(12 * len(serials) + 5)}],
        "parts": [{"serial": serial, "mass_kg": "11.500", "part_number": "AW-18"} for serial in serials],
        "internal_scrap": internal,
    }
    return EventInput("parts.produced", _when(2), data)


def _record(org, events):
    return events_record(organisation=org, actor="user:loader", events=events)


def test_a_batch_broken_at_its_last_event_never_takes_the_head_lock(alurec):
    _record(alurec, [_scrap("HL-A")])
    batch = [_melt([("HL-A", "400")], "380"), _melt([("HL-A", "700")], "650")]  # 1,100 of 1,000 kg
    with CaptureQueriesContext(connection) as queries, pytest.raises(DomainError) as refused:
        _record(alurec, batch)
    assert (refused.value.code, list(refused.value.errors)) == ("overdrawn", ["[1].data.inputs[0].mass_kg"])
    assert not [q["sql"] for q in queries.captured_queries if "ledger_head" in q["sql"]]
    assert Lot.objects.get(code="HL-A").remaining_g == 1_000_000


def test_no_payload_is_committed_and_no_code_made_under_the_head_lock(alurec, monkeypatch):
    _record(alurec, [_scrap("HL-B", "5000"), _melt([("HL-B", "5000")], "4800", "HL-M")])
    locked = threading.local()
    commits = []
    original_lock, original_commit = services.head_lock, services.payload_commit

    def head_lock():
        locked.yes = True
        return original_lock()

    def payload_commit(entry_type, data):
        commits.append((getattr(locked, "yes", False), entry_type))
        return original_commit(entry_type, data)

    monkeypatch.setattr(services, "head_lock", head_lock)
    monkeypatch.setattr(services, "payload_commit", payload_commit)
    serials = [f"HL-W{i}" for i in range(40)]
    with CaptureQueriesContext(connection) as queries:
        recorded = _record(alurec, [_run("HL-M", serials[:20], "HL-S"), _run("HL-M", serials[20:]), _scrap()])

    # Generated codes are random (nothing to lock), so they are in the payloads before the head.
    assert commits == [(False, "parts.produced"), (False, "parts.produced"), (False, "scrap.received")]
    sql = [q["sql"] for q in queries.captured_queries]
    head = next(index for index, text in enumerate(sql) if "ledger_head" in text)
    assert not [text for text in sql[head:] if text.startswith("SELECT") and "ledger_lot" in text]
    generated = [recorded[1].lots[-1], recorded[2].lots[0]]
    assert all(re.fullmatch(rf"SCR-{_when().year}-[0-9A-HJKMNP-TV-Z]{{10}}", code) for code in generated)
    entries = Entry.objects.filter(seq__in=[r.entry.seq for r in recorded]).order_by("seq")
    run, receipt = (payload_data(entry.payload, entry.disclosures) for entry in entries[1:])
    assert run["internal_scrap"]["code"] == generated[0]
    assert [part["serial"] for part in run["parts"]] == serials[20:]
    assert receipt["code"] == generated[1]
    assert Lot.objects.filter(code__in=generated, kind="scrap").count() == 2
    assert chain_verify().ok
    assert projection_drift() is None


def test_a_code_taken_by_another_request_meanwhile_is_a_conflict_and_nothing_is_written(alurec, monkeypatch):
    _record(alurec, [_scrap("HL-C", "5000"), _melt([("HL-C", "5000")], "4800", "HL-N")])
    original_lock = services.head_lock
    state = {"raced": False}

    def head_lock():
        # Another request records a wheel with one of the batch's serials after the batch checked
        # its codes and before it takes the head.
        if not state["raced"]:
            state["raced"] = True
            _record(alurec, [_run("HL-N", ["HL-X2"])])
        return original_lock()

    monkeypatch.setattr(services, "head_lock", head_lock)
    entries = Entry.objects.count()
    with pytest.raises(DomainError) as refused:
        _record(alurec, [_run("HL-N", ["HL-X1", "HL-X2", "HL-X3"])])
    assert (refused.value.code, refused.value.status) == ("duplicate_code", 409)
    assert "HL-X2" in refused.value.message
    # (the racing request ran inside this transaction here, so it is rolled back with it)
    assert Entry.objects.count() == entries
    assert not Lot.objects.filter(code__in=["HL-X1", "HL-X2", "HL-X3"]).exists()


@pytest.mark.postgres
def test_writers_naming_the_same_lots_in_any_order_neither_deadlock_nor_overdraw(transactional_db, alurec):
    lots = [f"HL-D{i}" for i in range(8)]
    _record(alurec, [_scrap(code, "1000") for code in lots])
    writers, rounds = 6, 5
    start = threading.Barrier(writers)
    errors = []

    def writer(number: int) -> None:
        order = random.Random(number)
        try:
            start.wait()
            for _round in range(rounds):
                shuffled = order.sample(lots, len(lots))
                if number % 3 == 2:
                    # Amendments lock the lots and then the processes that made them.
                    events = [
                        EventInput(
                            "lot.amended", _when(3), {"lot": code, "reason": "typo", "grade": "wheels"}
                        )
                        for code in shuffled[:3]
                    ]
                else:
                    events = [_melt([(code, "10") for code in shuffled], "75")]
                _record(alurec, events)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    melts = sum(1 for number in range(writers) if number % 3 != 2) * rounds
    assert set(Lot.objects.filter(code__in=lots).values_list("remaining_g", flat=True)) == {
        1_000_000 - melts * 10_000
    }
    assert chain_verify().ok
    assert projection_drift() is None
