"""The demo month (scaled down) keeps the invariants: the ledger verifies, every wheel has a
footprint, and carbon is conserved."""

from decimal import Decimal

from ledger.models import Entry, Lot
from ledger.projection import projection_drift
from ledger.selectors import chain_verify
from passports.demo import Scale, demo_load
from passports.models import Footprint
from passports.services import rollup_run
from tests.passports.test_rollup_properties import held_emissions, introduced_emissions

SMALL = Scale(
    scrap_lots=30, recycler_melts=5, ingots_per_melt=4, wheel_melts=3, wheels=300, wheels_per_run=50
)


def test_the_demo_month_keeps_the_invariants(db):
    assert demo_load(scale=SMALL) is True
    rollup_run()
    assert chain_verify().ok
    assert projection_drift() is None
    wheels = Lot.objects.filter(kind="part")
    assert wheels.count() == 300
    assert Footprint.objects.filter(lot__kind="part", superseded_at__isnull=True).count() == 300
    assert wheels.filter(owner__slug="northstar-motors").count() == 300
    assert {"lot.amended", "entry.voided"} <= set(Entry.objects.values_list("type", flat=True))
    introduced, held = introduced_emissions(), held_emissions()
    assert abs(held - introduced) / introduced < Decimal("1e-9")
    assert demo_load(scale=SMALL) is False  # run again: the data stay as they are
