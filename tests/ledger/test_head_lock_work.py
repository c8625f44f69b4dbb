"""What a request does under the ledger head lock is set work: the number of statements it
runs there does not grow with the size of its batch (lots are loaded, codes generated and
projections written in a fixed number of statements), and batches are limited by what they
cost, not only by their number of events."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ledger.errors import DomainError
from ledger.events import MAX_LIST
from ledger.services import EventInput, events_record

TRUCK = {"distance_km": "80", "mode": "truck"}


def _when(minutes: int = 0):
    return timezone.now() - timedelta(hours=1) + timedelta(minutes=minutes)


def _receive(org, count: int, prefix: str) -> list[str]:
    events = [
        EventInput(
            "scrap.received",
            _when(),
            {
                "code": f"{prefix}{i}",
                "supplier_name": "x",
                "grade": "wheels",
                "category": "post_consumer",
                "mass_kg": "1000",
                "transport": TRUCK,
            },
        )
        for i in range(count)
    ]
    events_record(organisation=org, actor="user:loader", events=events)
    return [f"{prefix}{i}" for i in range(count)]


def _melts(lots: list[str]) -> list[EventInput]:
    return [
        EventInput(
            "melt.recorded",
            _when(1),
            {
                "furnace": "TC-65",
                "inputs": [{"lot": lot, "mass_kg": "600"}],
                "output_mass_kg": "550",
                "energy": {"natural_gas_m3": "40"},
            },
        )
        for lot in lots
    ]


def _statements_under_the_lock(org, events) -> int:
    with CaptureQueriesContext(connection) as queries:
        events_record(organisation=org, actor="user:loader", events=events)
    sql = [query["sql"] for query in queries.captured_queries]
    locked = next(i for i, text in enumerate(sql) if "ledger_head" in text and "FOR UPDATE" in text)
    return len(sql) - locked


@pytest.mark.postgres
def test_statements_under_the_head_lock_do_not_grow_with_the_batch(alurec):
    events_record(organisation=alurec, actor="user:loader", events=_melts(_receive(alurec, 1, "W")))
    # (the first melt of the year created its code counter: a statement or two more, once)
    small = _statements_under_the_lock(alurec, _melts(_receive(alurec, 3, "A")))
    large = _statements_under_the_lock(alurec, _melts(_receive(alurec, 40, "B")))
    assert large == small, (small, large)


@pytest.mark.postgres
def test_a_transfer_of_many_lots_made_by_many_runs_costs_the_same_as_of_a_few(alurec, wheelworks):
    few = _receive(alurec, 2, "C")
    many = _receive(alurec, 30, "D")

    def transfer(lots):
        data = {"lots": lots, "to": "wheelworks", "transport": TRUCK}
        return [EventInput("custody.transferred", _when(2), data)]

    assert _statements_under_the_lock(alurec, transfer(many)) == _statements_under_the_lock(
        alurec, transfer(few)
    )


def test_a_batch_is_limited_by_its_items_not_only_its_events(alurec, settings):
    # By default a request holds the head about half a second at most (README "Limits"): a run
    # as long as a list may be (MAX_LIST parts) is posted as several runs, or the limit raised.
    assert settings.LEDGER_MAX_BATCH_ITEMS == 2_000 < MAX_LIST
    settings.LEDGER_MAX_BATCH_ITEMS = 10
    lots = _receive(alurec, 3, "E")
    run = {
        "inputs": [{"lot": lot, "mass_kg": "100"} for lot in lots],
        "parts": [{"serial": f"W{i}", "mass_kg": "11", "part_number": "AW"} for i in range(8)],
    }
    with pytest.raises(DomainError) as refused:
        events_record(
            organisation=alurec, actor="user:loader", events=[EventInput("parts.produced", _when(3), run)]
        )
    assert (refused.value.code, refused.value.status) == ("batch_too_large", 413)
    assert "12 items" in refused.value.message and "at most 10" in refused.value.message  # 1 + 3 + 8
