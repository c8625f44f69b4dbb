"""Roll-up invariants on random lot graphs: conservation, incremental = full, shares in [0, 1]."""

from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from remelt_verify.carbon import CONTEXT

from ledger.models import Lot, Process, Transfer
from passports.models import CarbonState, EmissionFactorSet, Footprint
from passports.selectors import lot_carbons
from passports.services import factors_of, rollup_run
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
    lots = list(Lot.objects.filter(voided=False))
    carbons = lot_carbons(lots)
    for lot in lots:
        kg = Decimal(lot.mass_g if lot.kind == "part" else lot.remaining_g) / 1000
        total += kg * sum(intensity_at(carbons[lot.pk], lot.pk, transfers, None).values())
    return total


def carbon_of_every_lot() -> dict:
    return {
        lot_id: (dict(value.intensity), value.post, value.pre)
        for lot_id, value in lot_carbons(Lot.objects.all()).items()
    }


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
        live = Lot.objects.filter(voided=False)
        assert lot_carbons(live).keys() == set(live.values_list("pk", flat=True))

        introduced, held = introduced_emissions(), held_emissions()
        if introduced:
            assert abs(held - introduced) / introduced < Decimal("1e-9"), (held, introduced)
        for row in CarbonState.objects.all():
            carbon = row.value.main
            assert carbon.post >= 0 and carbon.pre >= 0 and CONTEXT.add(carbon.post, carbon.pre) <= 1

        incremental = carbon_of_every_lot()
        versions, states = Footprint.objects.count(), CarbonState.objects.count()
        rollup_run(full=True)
        assert carbon_of_every_lot() == incremental
        # The same numbers: no new version and no new state
        assert (Footprint.objects.count(), CarbonState.objects.count()) == (versions, states)
        transaction.set_rollback(True)
