"""CBAM.md's worked example recorded through the ledger's services: HN-1 in 2026-Q4."""

from datetime import UTC, datetime

from tests.cbam.conftest import register
from tests.ledger.test_events import record

Q3 = (datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))
Q4 = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
TRUCK = {"distance_km": "120", "mode": "truck"}


def at(month, day, hour=8):
    return datetime(2026, month, day, hour, tzinfo=UTC)


def receive(org, code, kg, category, when):
    data = {
        "code": code,
        "supplier": "scrapco",
        "grade": "wheels",
        "category": category,
        "mass_kg": kg,
        "transport": TRUCK,
    }
    record(org, "scrap.received", data, occurred_at=when)


def melt(org, code, inputs, additions, gas, kwh, output, when, furnace="HN-1-RF1"):
    data = {
        "code": code,
        "furnace": furnace,
        "inputs": [{"lot": lot, "mass_kg": kg} for lot, kg in inputs],
        "additions": [{"material": material, "mass_kg": kg} for material, kg in additions],
        "energy": {"natural_gas_m3": gas, "electricity_kwh": kwh},
        "output_mass_kg": output,
    }
    record(org, "melt.recorded", data, occurred_at=when)


def cast(org, code, melt_code, taken, made, gas, kwh, when):
    data = {
        "inputs": [{"lot": melt_code, "mass_kg": taken}],
        "outputs": [
            {"code": code, "mass_kg": made, "alloy": "A356.2", "chemistry": {"Si": "7.00", "Mg": "0.35"}}
        ],
        "energy": {"natural_gas_m3": gas, "electricity_kwh": kwh},
    }
    record(org, "ingots.cast", data, occurred_at=when)


def worked_example(org):
    """Two melts and two casts at HN-1 in October and November 2026 (the figures of CBAM.md)."""
    register(org, occurred_at=at(9, 1))
    receive(org, "S-A1", "48000", "post_consumer", at(10, 1))
    receive(org, "S-A2", "12000", "pre_consumer", at(10, 1))
    receive(org, "S-B", "40000", "post_consumer", at(11, 1))
    melt(
        org,
        "M-A",
        [("S-A1", "48000"), ("S-A2", "12000")],
        [("primary_aluminium", "1500"), ("silicon", "420")],
        "4200",
        "9000",
        "58500",
        at(10, 6),
    )
    cast(org, "ING-A", "M-A", "58500", "58400", "300", "2000", at(10, 6, 14))
    melt(org, "M-B", [("S-B", "40000")], [("primary_aluminium", "600")], "2900", "6000", "39000", at(11, 9))
    cast(org, "ING-B", "M-B", "39000", "38950", "200", "1500", at(11, 9, 15))
