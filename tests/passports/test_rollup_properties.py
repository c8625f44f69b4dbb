"""Roll-up invariants on random lot graphs: conservation, incremental = full, shares in [0, 1]."""

from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from remelt_verify.carbon import CONTEXT

from ledger.models import Lot, Process, Transfer
from passports.models import EmissionFactorSet, Footprint, LotCarbon
from passports.services import factors_of, lot_carbon_of, rollup_run
from tests.ledger.test_mass_balance import _step


def introduced_emissions() -> Decimal:
    """Everything the method puts in: receipt transport, additions, energy, custody transport."""
    factors = factors_of(EmissionFactorSet.current())
    total = Decimal(0)
    for process in Process.objects.filter(voided=False).prefetch_related("outputs"):
        facts = process.facts
        if process.type == "scrap.received":
            kg = Decimal(process.outputs.get().mass_g) / 1000
            total += kg * factors.transport_per_kg(facts["transport"])
            continue
        total += factors.energy(facts["energy"])
        for addition in facts.get("additions", []):
            total += Decimal(addition["mass_kg"]) * factors.values[addition["material"]]
    for transfer in Transfer.objects.filter(voided=False).prefetch_related("items"):
        moved_kg = sum(Decimal(item.mass_g) for item in transfer.items.all()) / 1000
        total += moved_kg * factors.transport_per_kg(transfer.transport)
    return total


def held_emissions() -> Decimal:
    """What the lots carry now: remaining mass × current intensity (parts with all their mass)."""
    from remelt_verify.carbon import TransferLog, intensity_at

    factors = factors_of(EmissionFactorSet.current())
    transfers = TransferLog()
    for transfer in Transfer.objects.filter(voided=False).prefetch_related("items"):
        for item in transfer.items.all():
            transfers.add(item.lot_id, transfer.pk, factors.transport_per_kg(transfer.transport))
    total = Decimal(0)
    for row in LotCarbon.objects.select_related("lot").filter(lot__voided=False):
        lot = row.lot
        kg = Decimal(lot.mass_g if lot.kind == "part" else lot.remaining_g) / 1000
        total += kg * sum(intensity_at(lot_carbon_of(row), lot.pk, transfers, None).values())
    return total


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_graphs_conserve_carbon_and_incremental_equals_full(cast, data):
    with transaction.atomic():
        for _ in range(data.draw(st.integers(1, 20), label="steps")):
            _step(data.draw, cast)
            if data.draw(st.booleans(), label="roll up now"):
                rollup_run()
        rollup_run()
        assert LotCarbon.objects.filter(lot__voided=False).count() == Lot.objects.filter(voided=False).count()

        introduced, held = introduced_emissions(), held_emissions()
        if introduced:
            assert abs(held - introduced) / introduced < Decimal("1e-9"), (held, introduced)
        for row in LotCarbon.objects.all():
            carbon = lot_carbon_of(row)
            assert carbon.post >= 0 and carbon.pre >= 0 and CONTEXT.add(carbon.post, carbon.pre) <= 1

        incremental = {
            row.lot_id: (row.intensity, row.post_share, row.pre_share) for row in LotCarbon.objects.all()
        }
        versions = Footprint.objects.count()
        rollup_run(full=True)
        full = {row.lot_id: (row.intensity, row.post_share, row.pre_share) for row in LotCarbon.objects.all()}
        assert full == incremental
        assert Footprint.objects.count() == versions  # the same numbers: no new version
        transaction.set_rollback(True)
