"""Method remelt-2: CARBON.md's worked example with its primary aluminium priced by the
smelter's own footprint, imported into the ledger and cited by the melt (README "Carbon and
recycled content", the numbers below are the README's).

The smelter's ProductFootprint is per kilogram: 4.1 kg CO2e at its gate plus 0.1 outbound,
so 4.2 kg CO2e per kg delivered against the factor set's 15.947 for primary aluminium.
"""

import copy
import json
import uuid
from decimal import Decimal

import pytest
from remelt_verify.bundle import BundleProblem, bundle_verify, footprint_recompute
from remelt_verify.disclosure import reveal
from remelt_verify.steps import evidence_verify, step_verify

from ledger.checkpoints import verifier_key
from ledger.errors import DomainError
from ledger.models import Entry, Lot
from ledger.projection import projection_drift
from ledger.visibility import Viewer
from pact.models import ProductFootprint
from pact.services import footprint_import, footprints_sync
from passports.evidence import evidence_bundle, step_bundle
from passports.models import EmissionFactorSet, Footprint
from passports.selectors import lot_carbons
from passports.services import factors_of, rollup_run
from tests.ledger.test_events import record
from tests.pact.conftest import PRODUCT_FOOTPRINT, TESTDATA

SMELTER_ID = "5a3f1f0e-9a47-4b51-8d0c-2f1c2b8e7d11"


def smelter_footprint(pf_id: str = SMELTER_ID, **pcf) -> bytes:
    """PACT's example-3 made a smelter's primary aluminium, per kilogram."""
    document = json.loads((TESTDATA / "pact" / "examples" / "example-3.json").read_text())
    document.update(id=pf_id, companyName="Smelter X", productNameCompany="P1020 primary aluminium ingot")
    document["pcf"].update(
        {
            "declaredUnitOfMeasurement": "kilogram",
            "declaredUnitAmount": "1",
            "productMassPerDeclaredUnit": "1",
            "pcfExcludingBiogenicUptake": "4.1",
            "pcfIncludingBiogenicUptake": "4.1",
            "fossilGhgEmissions": "4.1",
            "fossilCarbonContent": "0",
            "outboundLogisticsGhgEmissions": "0.1",
            **pcf,
        }
    )
    return json.dumps(document, indent=2).encode()


def q(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places))


def carbon_of(code):
    lot = Lot.objects.get(code=code)
    return lot_carbons([lot])[lot.pk]


def receipts(alurec):
    for code, supplier, category, kg, km in (
        ("S1", {"supplier": "scrapco"}, "post_consumer", "10000", "200"),
        ("S2", {"supplier_name": "diecaster"}, "pre_consumer", "5000", "100"),
    ):
        record(
            alurec,
            "scrap.received",
            {
                "code": code,
                **supplier,
                "grade": "wheels",
                "category": category,
                "mass_kg": kg,
                "transport": {"distance_km": km, "mode": "truck"},
            },
        )


def melt(alurec, primary: dict):
    record(
        alurec,
        "melt.recorded",
        {
            "code": "M1",
            "furnace": "TC-65",
            "inputs": [{"lot": "S1", "mass_kg": "8000"}, {"lot": "S2", "mass_kg": "5000"}],
            "additions": [primary, {"material": "silicon", "mass_kg": "100"}],
            "energy": {"natural_gas_m3": "1200", "electricity_kwh": "1500"},
            "output_mass_kg": "14000",
        },
    )


@pytest.fixture
def imported(alurec):
    return footprint_import(organisation=alurec, raw=smelter_footprint(), actor="user:alice")


@pytest.fixture
def example(alurec, imported):
    receipts(alurec)
    melt(alurec, {"material": "primary_aluminium", "mass_kg": "1500", "footprint": SMELTER_ID})
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


def test_the_melt_names_the_footprint_and_the_entry_that_imported_it(example, imported):
    assert imported.per_kg_co2e == "4.200000000000"
    melt_entry = Entry.objects.get(type="melt.recorded")
    assert melt_entry.data["additions"][0] == {
        "material": "primary_aluminium",
        "mass_kg": "1500.000",
        "footprint": SMELTER_ID,
        "footprint_entry": imported.entry_id,
    }
    assert projection_drift() is None  # the replay resolves the citation the same way


def test_the_melt_is_priced_with_the_smelters_value(example):
    m1 = carbon_of("M1")
    assert m1.intensity["alloying"] * 14_000 == Decimal("7460")  # 1,500 × 4.2 + 100 × 11.6
    assert q(sum(m1.intensity.values()) * 14_000, 6) == Decimal("11050.04")  # 199.5 + 7,460 + 3,390.54
    assert q(sum(m1.intensity.values()), 9) == Decimal("0.789288571")
    # Recycled shares are remelt-1's: an addition counts as 0 whatever prices it.
    assert (q(m1.post, 6), q(m1.pre, 6)) == (Decimal("0.547945"), Decimal("0.342466"))


def test_each_wheel(example):
    wheel = Footprint.objects.get(lot__code="W00", superseded_at__isnull=True).document
    assert wheel["method"] == "remelt-2" and wheel["factor_set"] == "cn-2026.1"
    assert wheel["total_kg_co2e"] == "11.591298"  # remelt-1: 24.434228
    assert wheel["by_stage"]["alloying"] == "5.437318"
    assert wheel["by_stage"]["part_production"] == "3.537333"
    # The baseline stays what the part would carry made from generic primary metal.
    assert wheel["baseline_kg_co2e"] == "163.007333"
    assert wheel["saving_kg_co2e"] == "151.416035"
    scrap = carbon_of("R1-SCRAP")
    assert q(sum(scrap.intensity.values()) * 80, 6) == Decimal("64.431720")


def test_conservation(example):
    introduced = Decimal("190") + Decimal("47.5") + Decimal("7460") + Decimal("3390.54") + Decimal("318.36")
    assert introduced == Decimal("11406.40")
    held = Decimal(0)
    for lot in Lot.objects.all():
        kg = Decimal(lot.mass_g if lot.kind == "part" else lot.remaining_g) / 1000
        held += kg * sum(carbon_of(lot.code).intensity.values())
    assert abs(held - introduced) / introduced < Decimal("1e-9")


def test_without_a_citation_the_numbers_are_remelt_1s(alurec, imported):
    receipts(alurec)
    melt(alurec, {"material": "primary_aluminium", "mass_kg": "1500"})
    rollup_run()
    assert q(sum(carbon_of("M1").intensity.values()) * 14_000, 6) == Decimal("28670.54")


def _bundle(code: str = "W00") -> dict:
    """The holder's bundle of format 1: every entry upstream, the cited import among them."""
    lot = Lot.objects.get(code=code)
    viewer = Viewer(organisation_id=lot.owner_id, sees_everything=False)
    return evidence_bundle(lot=lot, viewer=viewer, upstream=True)


def _fails(bundle: dict, *fragments: str) -> None:
    with pytest.raises(BundleProblem) as failure:
        bundle_verify(bundle, key=verifier_key())
    for fragment in fragments:
        assert fragment in str(failure.value), str(failure.value)


def test_the_wheels_bundle_carries_the_smelters_footprint_and_recomputes_offline(
    example, imported, ledger_signing_key
):
    bundle = _bundle()
    types = [entry["header"]["type"] for entry in bundle["entries"]]
    assert "pact.footprint.imported" in types
    assert bundle["supplier_footprints"] == {str(imported.entry_id): smelter_footprint().decode()}
    summary = bundle_verify(bundle, key=verifier_key())
    assert "11.591298 kg CO2e recomputed" in summary, summary

    changed = copy.deepcopy(bundle)
    changed["supplier_footprints"][str(imported.entry_id)] = (
        smelter_footprint().decode().replace('"4.1"', '"2.1"')
    )
    _fails(changed, f"supplier_footprints[{imported.entry_id}]", "not the footprint as received")

    missing = copy.deepcopy(bundle)
    del missing["supplier_footprints"]
    _fails(missing, "lacks the supplier footprint")

    # Without the import entry, the chain of the bundle breaks (its entries link to it) …
    without_import = copy.deepcopy(bundle)
    without_import["entries"] = [
        e for e in bundle["entries"] if e["header"]["type"] != "pact.footprint.imported"
    ]
    _fails(without_import, f"entry {imported.entry_id + 1}: link unproven")
    # … and the recomputation alone refuses a citation whose import it is not given.
    with pytest.raises(BundleProblem, match="not a pact.footprint.imported entry in the bundle"):
        footprint_recompute(
            entries=[
                (e["header"]["seq"], e["header"]["type"], reveal(e["payload"], e.get("disclosures") or []))
                for e in without_import["entries"]
            ],
            code="W00",
            ledger_seq=bundle["footprint"]["ledger_seq"],
            factors=factors_of(EmissionFactorSet.current()),
            method="remelt-2",
            supplier_footprints=bundle["supplier_footprints"],
        )

    remelt_1 = copy.deepcopy(bundle)
    remelt_1["footprint"]["method"] = "remelt-1"
    _fails(remelt_1, "method remelt-1", "does not price")


def test_a_holders_bundle_downstream_reads_the_import_too(
    example, imported, alurec, cast, ledger_signing_key
):
    record(
        alurec,
        "custody.transferred",
        {"lots": ["W01"], "to": "autofab", "transport": {"distance_km": "300", "mode": "truck"}},
    )
    rollup_run()
    bundle = _bundle("W01")  # autofab's: the import entry is alurec's, cited by a melt autofab may read
    (imported_entry,) = [e for e in bundle["entries"] if e["header"]["type"] == "pact.footprint.imported"]
    assert imported_entry["payload"] is not None and str(imported.entry_id) in bundle["supplier_footprints"]
    assert "W01" in bundle_verify(bundle, key=verifier_key())


def test_the_melts_step_carries_the_smelters_footprint_and_the_wheels_takes_it_as_committed(
    example, imported, ledger_signing_key
):
    """Format 2: the wheel's bundle rests on the melt's committed state (which priced the
    citation); the melt's own step carries the import and the document, and recomputes."""
    auditor = Viewer(organisation_id=None, sees_everything=True)
    wheel = evidence_bundle(lot=Lot.objects.get(code="W00"), viewer=auditor)
    assert "pact.footprint.imported" not in [e["header"]["type"] for e in wheel["entries"]]
    assert "11.591298 kg CO2e recomputed" in evidence_verify(wheel, key=verifier_key())
    melt_lot = Lot.objects.get(code="M1")
    step = step_bundle(lot=melt_lot, viewer=Viewer(organisation_id=melt_lot.owner_id, sees_everything=False))
    assert step["supplier_footprints"] == {str(imported.entry_id): smelter_footprint().decode()}
    assert "M1" in step_verify(step, key=verifier_key())
    changed = copy.deepcopy(step)
    changed["supplier_footprints"][str(imported.entry_id)] = (
        smelter_footprint().decode().replace('"4.1"', '"2.1"')
    )
    with pytest.raises(BundleProblem, match="not the footprint as received"):
        step_verify(changed, key=verifier_key())


def test_an_amendment_may_cite_the_footprint_later(alurec, imported):
    receipts(alurec)
    melt(alurec, {"material": "primary_aluminium", "mass_kg": "1500"})
    rollup_run()
    record(
        alurec,
        "lot.amended",
        {
            "lot": "M1",
            "reason": "the smelter's own footprint",
            "additions": [
                {"material": "primary_aluminium", "mass_kg": "1500", "footprint": SMELTER_ID},
                {"material": "silicon", "mass_kg": "100"},
            ],
        },
    )
    rollup_run()
    assert q(sum(carbon_of("M1").intensity.values()) * 14_000, 6) == Decimal("11050.04")
    assert projection_drift() is None


@pytest.mark.parametrize(
    "footprint, code",
    [
        (str(uuid.UUID(int=7)), "unknown_footprint"),  # never imported
        ("not-a-uuid", "invalid"),
        ("energy", "footprint_without_mass"),  # imported, but per kWh
        ("wheelworks", "unknown_footprint"),  # imported by another organisation
    ],
)
def test_a_citation_remelt_cannot_price_is_refused_naming_the_field(
    alurec, wheelworks, imported, footprint, code
):
    energy_id = str(uuid.UUID(int=8))
    if footprint == "energy":
        raw = smelter_footprint(
            energy_id, declaredUnitOfMeasurement="kilowatt hour", productMassPerDeclaredUnit="0"
        )
        footprint_import(organisation=alurec, raw=raw, actor="user:alice")
        footprint = energy_id
    elif footprint == "wheelworks":
        footprint_import(organisation=wheelworks, raw=smelter_footprint(energy_id), actor="user:w")
        footprint = energy_id
    receipts(alurec)
    before = Entry.objects.count()
    with pytest.raises(DomainError) as refused:
        melt(alurec, {"material": "primary_aluminium", "mass_kg": "1500", "footprint": footprint})
    assert refused.value.code == code
    assert list(refused.value.errors) == ["data.additions[0].footprint"], refused.value.errors
    assert Entry.objects.count() == before


def _run_footprint() -> dict:
    """The current ProductFootprint of the part run, as PACT clients get it."""
    footprints_sync()
    (published,) = ProductFootprint.objects.filter(status="Active")
    PRODUCT_FOOTPRINT.validate(published.document)
    return published.document


def test_the_citation_raises_the_primary_data_share(alurec, imported, ledger_signing_key):
    receipts(alurec)
    melt(alurec, {"material": "primary_aluminium", "mass_kg": "1500"})
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
    rollup_run()
    generic = _run_footprint()["pcf"]
    # Generic: all of the alloying (1,500 × 15.947 + 100 × 11.6 of 28,670.54 in the melt).
    assert (generic["pcfExcludingBiogenicUptake"], generic["primaryDataShare"]) == ("24.434228", "25.19")
    record(
        alurec,
        "lot.amended",
        {
            "lot": "M1",
            "reason": "the smelter's own footprint",
            "additions": [
                {"material": "primary_aluminium", "mass_kg": "1500", "footprint": SMELTER_ID},
                {"material": "silicon", "mass_kg": "100"},
            ],
        },
    )
    rollup_run()
    cited = _run_footprint()["pcf"]
    # Generic: only the silicon (1,160 of 11,050.04), the smelter's 6,300 being primary data.
    assert (cited["pcfExcludingBiogenicUptake"], cited["primaryDataShare"]) == ("11.591298", "92.71")
    assert _run_footprint()["extensions"][0]["data"]["method"] == "remelt-2"
