"""CARBON.md's worked example, to the printed precision."""

from decimal import Decimal

import pytest

from ledger.models import Entry, Lot
from passports.anchor import footprint_leaf
from passports.models import Footprint
from passports.selectors import footprint_proof, lot_carbons
from passports.services import rollup_run
from tests.ledger.test_events import record


def q(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places))


@pytest.fixture
def example(alurec):
    record(
        alurec,
        "scrap.received",
        {
            "code": "S1",
            "supplier": "scrapco",
            "grade": "wheels",
            "category": "post_consumer",
            "mass_kg": "10000",
            "transport": {"distance_km": "200", "mode": "truck"},
        },
    )
    record(
        alurec,
        "scrap.received",
        {
            "code": "S2",
            "supplier_name": "diecaster",
            "grade": "ISRI Tense",
            "category": "pre_consumer",
            "mass_kg": "5000",
            "transport": {"distance_km": "100", "mode": "truck"},
        },
    )
    record(
        alurec,
        "melt.recorded",
        {
            "code": "M1",
            "furnace": "TC-65",
            "inputs": [{"lot": "S1", "mass_kg": "8000"}, {"lot": "S2", "mass_kg": "5000"}],
            "additions": [
                {"material": "primary_aluminium", "mass_kg": "1500"},
                {"material": "silicon", "mass_kg": "100"},
            ],
            "energy": {"natural_gas_m3": "1200", "electricity_kwh": "1500"},
            "output_mass_kg": "14000",
        },
    )
    record(
        alurec,
        "parts.produced",
        {
            "inputs": [{"lot": "M1", "mass_kg": "1000"}],
            "parts": [{"serial": f"W{i:02d}", "mass_kg": "10", "part_number": "AW-17"} for i in range(90)],
            "internal_scrap": {"code": "R1-SCRAP", "mass_kg": "80"},
            "energy": {"electricity_kwh": "600"},
        },
    )
    return rollup_run()


def carbon_of(code):
    lot = Lot.objects.get(code=code)
    return lot_carbons([lot])[lot.pk]


def test_scrap_receipts(example):
    assert sum(carbon_of("S1").intensity.values()) * 10_000 == Decimal("190")
    assert sum(carbon_of("S2").intensity.values()) * 5_000 == Decimal("47.5")
    assert (carbon_of("S1").post, carbon_of("S1").pre) == (1, 0)
    assert (carbon_of("S2").post, carbon_of("S2").pre) == (0, 1)


def test_melt(example):
    m1 = carbon_of("M1")
    assert m1.intensity["scrap_transport"] * 14_000 == Decimal("199.5")
    assert m1.intensity["alloying"] * 14_000 == Decimal("25080.5")
    assert q(m1.intensity["melting"] * 14_000, 6) == Decimal("3390.54")
    assert q(sum(m1.intensity.values()) * 14_000, 6) == Decimal("28670.54")
    assert q(sum(m1.intensity.values()), 7) == Decimal("2.0478957")
    assert (q(m1.post, 6), q(m1.pre, 6)) == (Decimal("0.547945"), Decimal("0.342466"))
    assert Lot.objects.get(code="S1").remaining_g == 2_000_000  # S1 keeps 2,000 kg carrying 38 kg CO2e


def test_each_wheel(example):
    wheel = Footprint.objects.get(lot__code="W00", superseded_at__isnull=True).document
    assert wheel["total_kg_co2e"] == "24.434228"
    assert wheel["by_stage"]["part_production"] == "3.537333"
    metal = sum(Decimal(wheel["by_stage"][s]) for s in ("scrap_transport", "alloying", "melting"))
    assert metal == Decimal("20.896895")
    assert wheel["baseline_kg_co2e"] == "163.007333"
    assert wheel["saving_kg_co2e"] == "138.573105"
    assert wheel["recycled_content"] == {"post_consumer": "0.547945", "pre_consumer": "0.342466"}
    assert wheel["method"] == "remelt-2" and wheel["factor_set"] == "cn-2026.1"  # nothing cited: remelt-1
    assert Footprint.objects.filter(lot__kind="part", superseded_at__isnull=True).count() == 90


def test_internal_scrap_carries_its_metal_and_shares(example):
    scrap = carbon_of("R1-SCRAP")
    assert q(sum(scrap.intensity.values()) * 80, 6) == Decimal("167.175160")
    assert scrap.intensity["part_production"] == 0
    assert (q(scrap.post, 6), q(scrap.pre, 6)) == (Decimal("0.547945"), Decimal("0.342466"))


def test_conservation(example):
    introduced = (
        Decimal("190") + Decimal("47.5") + Decimal("25080.5") + Decimal("3390.54") + Decimal("318.36")
    )
    assert introduced == Decimal("29026.90")
    held = Decimal(0)
    for lot in Lot.objects.all():
        kg = Decimal(lot.mass_g if lot.kind == "part" else lot.remaining_g) / 1000
        held += kg * sum(carbon_of(lot.code).intensity.values())
    assert abs(held - introduced) / introduced < Decimal("1e-9")


def test_the_run_is_anchored_in_the_ledger(example):
    anchor = Entry.objects.get(type="footprint.computed")
    assert example.entry == anchor
    assert anchor.data["anchor"] == 2 and anchor.data["footprints"]["count"] == 90
    assert anchor.data["states"]["count"] == 4  # two receipts, the melt, the part run
    leaves = set()
    for footprint in Footprint.objects.select_related("lot", "run__entry"):
        proof = footprint_proof(footprint)
        assert proof.anchor_seq == anchor.seq and proof.verifies()
        assert proof.leaf == footprint_leaf(footprint.lot.code, footprint.version, footprint.digest)
        leaves.add(proof.leaf_index)
    assert leaves == set(range(90))
    assert anchor.data["ledger_seq"] == anchor.seq - 1 == footprint.ledger_seq


def test_running_again_changes_nothing(example):
    assert rollup_run() is None
    assert Footprint.objects.count() == 90
    assert Entry.objects.filter(type="footprint.computed").count() == 1
