"""Footprint versions: corrections make new versions downstream and nowhere else."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from ledger.models import Entry
from passports.models import Footprint, PendingRollup
from passports.services import rollup_run
from tests.ledger.test_events import TRUCK_200, record


def current(code):
    return Footprint.objects.get(lot__code=code, superseded_at__isnull=True)


@pytest.fixture
def two_lines(alurec, wheelworks):
    """Two independent lines: S1 → MA → ING-A and parts A0..A2; S2 → MB → parts B0..B2."""
    for scrap in ("S1", "S2"):
        record(
            alurec,
            "scrap.received",
            {
                "code": scrap,
                "supplier_name": "x",
                "grade": "wheels",
                "category": "post_consumer",
                "mass_kg": "1000",
                "transport": TRUCK_200,
            },
        )
    for melt_code, scrap in (("MA", "S1"), ("MB", "S2")):
        record(
            alurec,
            "melt.recorded",
            {
                "code": melt_code,
                "furnace": "F",
                "inputs": [{"lot": scrap, "mass_kg": "1000"}],
                "output_mass_kg": "950",
                "energy": {"electricity_kwh": "400"},
            },
        )
    record(
        alurec,
        "ingots.cast",
        {
            "inputs": [{"lot": "MA", "mass_kg": "500"}],
            "outputs": [{"code": "ING-A", "mass_kg": "490", "alloy": "A356.2"}],
        },
    )
    for melt_code, prefix in (("MA", "A"), ("MB", "B")):
        record(
            alurec,
            "parts.produced",
            {
                "inputs": [{"lot": melt_code, "mass_kg": "40"}],
                "parts": [{"serial": f"{prefix}{i}", "mass_kg": "10", "part_number": "AW"} for i in range(3)],
                "energy": {"electricity_kwh": "30"},
            },
        )
    rollup_run()


def test_amending_scrap_transport_versions_every_part_downstream_and_nothing_else(two_lines, alurec):
    before = {f.lot.code: f.document for f in Footprint.objects.select_related("lot")}
    assert sorted(before) == ["A0", "A1", "A2", "B0", "B1", "B2", "ING-A"]

    record(
        alurec,
        "lot.amended",
        {
            "lot": "S1",
            "reason": "the truck came from further away",
            "transport": {"distance_km": "450", "mode": "truck"},
        },
    )
    assert PendingRollup.objects.count() == 1
    run = rollup_run()

    versioned = set(Footprint.objects.filter(version=2).values_list("lot__code", flat=True))
    assert versioned == {"A0", "A1", "A2", "ING-A"}
    for code in ("B0", "B1", "B2"):
        assert current(code).version == 1
    for code in versioned:
        new, old = current(code), Footprint.objects.get(lot__code=code, version=1)
        assert old.superseded_at is not None and old.document == before[code]  # still readable
        assert Decimal(new.document["by_stage"]["scrap_transport"]) > Decimal(
            old.document["by_stage"]["scrap_transport"]
        )
        assert new.ledger_seq == run.ledger_seq > old.ledger_seq
    anchored = {f.lot.code for f in Footprint.objects.filter(run=run).select_related("lot")}
    assert anchored == versioned and run.entry.data["footprints"]["count"] == 4
    assert PendingRollup.objects.count() == 0


def test_a_transfer_adds_transport_to_the_parts_moved(two_lines, alurec):
    record(
        alurec,
        "custody.transferred",
        {"lots": ["A0"], "to": "autofab", "transport": {"distance_km": "1000", "mode": "ship"}},
    )
    rollup_run()
    assert set(Footprint.objects.filter(version=2).values_list("lot__code", flat=True)) == {"A0"}
    moved = current("A0").document
    # 10 kg × 1000 km × 0.015 kg/t·km = 0.15 kg CO2e, on top of the part's earlier transport (none)
    assert moved["by_stage"]["transport"] == "0.150000"
    assert Decimal(moved["baseline_kg_co2e"]) - Decimal(
        current("A1").document["baseline_kg_co2e"]
    ) == Decimal("0.15")


def test_voiding_an_unused_part_run_withdraws_its_footprints(two_lines, alurec):
    run_seq = Entry.objects.filter(type="parts.produced").order_by("seq").last().seq
    record(alurec, "entry.voided", {"seq": run_seq, "reason": "test run"})
    rollup_run()
    assert not Footprint.objects.filter(lot__code__startswith="B", superseded_at__isnull=True).exists()
    assert Footprint.objects.filter(lot__code__startswith="B").count() == 3  # history kept


def test_passport_shows_pending_until_the_rollup_and_lists_its_anchors(two_lines, alurec):
    from ledger.models import Lot
    from passports.selectors import passport

    part = Lot.objects.get(code="A0")
    shown = passport(part)
    assert (
        shown["status"] == "current"
        and shown["footprint"]["total_kg_co2e"] == current("A0").document["total_kg_co2e"]
    )
    assert [e["type"] for e in shown["entries"]] == ["melt.recorded", "parts.produced"]  # its own step
    assert shown["versions"][0]["anchored_in"] == Entry.objects.get(type="footprint.computed").seq

    record(
        alurec,
        "lot.amended",
        {"lot": "S1", "reason": "r", "transport": {"distance_km": "300", "mode": "truck"}},
    )
    assert passport(part)["status"] == "pending"
    assert passport(Lot.objects.get(code="B0"))["status"] == "current"  # other line untouched
    rollup_run()
    shown = passport(part)
    assert shown["status"] == "current" and [v["version"] for v in shown["versions"]] == [2, 1]


def test_a_transaction_of_many_events_queues_one_roll_up(alurec, django_capture_on_commit_callbacks):
    from django.db import transaction

    from passports.queue import _start_rollup

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for scrap in ("S1", "S2", "S3"):
            record(
                alurec,
                "scrap.received",
                {
                    "code": scrap,
                    "supplier_name": "x",
                    "grade": "wheels",
                    "category": "post_consumer",
                    "mass_kg": "1000",
                    "transport": TRUCK_200,
                },
            )
    assert [callback for callback in callbacks if callback is _start_rollup] == [_start_rollup]
    assert PendingRollup.objects.count() == 3


def test_a_lot_has_at_most_one_current_version(two_lines):
    version = current("A0")
    second = Footprint(
        lot_id=version.lot_id,
        version=version.version + 1,
        run_id=version.run_id,
        state_id=version.state_id,
        transport_per_kg=version.transport_per_kg,
        digest=version.digest,
    )
    with pytest.raises(IntegrityError, match="one_current_footprint"), transaction.atomic():
        second.save()
