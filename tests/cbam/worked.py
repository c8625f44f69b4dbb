"""CBAM.md's worked example as method inputs: installation HN-1, 2026-Q4, two melts and two casts."""

from datetime import UTC, datetime

from remelt_verify.cbam import CAST, MELT, CbamProcess, Ingot

Q4 = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def energy(gas: str, kwh: str) -> dict:
    return {"natural_gas_m3": gas, "electricity_kwh": kwh}


def worked_processes(installation: str = "HN-1") -> list[CbamProcess]:
    return [
        CbamProcess(
            seq=10,
            type=MELT,
            occurred_at=datetime(2026, 10, 6, 8, tzinfo=UTC),
            installation=installation,
            energy=energy("4200", "9000"),
            scrap_g={"post_consumer": 48_000_000, "pre_consumer": 12_000_000},
            additions=(
                {"material": "primary_aluminium", "mass_kg": "1500.000"},
                {"material": "silicon", "mass_kg": "420.000"},
            ),
        ),
        CbamProcess(
            seq=11,
            type=CAST,
            occurred_at=datetime(2026, 10, 6, 14, tzinfo=UTC),
            installation=installation,
            energy=energy("300", "2000"),
            ingots=(Ingot("ING-A", 58_400_000, "A356.2", {"Si": "7.00", "Mg": "0.35"}),),
        ),
        CbamProcess(
            seq=12,
            type=MELT,
            occurred_at=datetime(2026, 11, 9, 8, tzinfo=UTC),
            installation=installation,
            energy=energy("2900", "6000"),
            scrap_g={"post_consumer": 40_000_000},
            additions=({"material": "primary_aluminium", "mass_kg": "600.000"},),
        ),
        CbamProcess(
            seq=13,
            type=CAST,
            occurred_at=datetime(2026, 11, 9, 15, tzinfo=UTC),
            installation=installation,
            energy=energy("200", "1500"),
            ingots=(Ingot("ING-B", 38_950_000, "A356.2", {"Si": "7.10", "Mg": "0.30"}),),
        ),
    ]
