"""The demo month (scaled down) keeps the invariants: the ledger verifies, every wheel has a
footprint, and carbon is conserved."""

from decimal import Decimal

from ledger.checkpoints import verifier_key
from ledger.models import Entry, Lot
from ledger.projection import projection_drift
from ledger.selectors import chain_verify
from ledger.visibility import Viewer
from passports.demo import Scale, demo_load
from passports.evidence import bundle_verify
from passports.models import Footprint
from passports.selectors import upstream_lot_ids
from passports.services import evidence_bundle, rollup_run
from tests.passports.test_rollup_properties import held_emissions, introduced_emissions

SMALL = Scale(
    scrap_lots=30, recycler_melts=5, ingots_per_melt=4, wheel_melts=3, wheels=300, wheels_per_run=50
)


def test_the_demo_month_keeps_the_invariants(db, ledger_signing_key):
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
    # Wheels' evidence verifies offline: the first and the last (whose melts remelt internal
    # scrap), and one with the month's amendment upstream.
    amended = Lot.objects.get(code=Entry.objects.get(type="lot.amended").data["lot"])
    with_amendment = next(w for w in wheels.order_by("code") if amended.pk in upstream_lot_ids(w.pk))
    auditor = Viewer(organisation_id=None, sees_everything=True)
    for wheel in (wheels.order_by("code").first(), wheels.order_by("code").last(), with_amendment):
        bundle = evidence_bundle(lot=wheel, viewer=auditor)
        assert wheel.code in bundle_verify(bundle, key=verifier_key())
    assert demo_load(scale=SMALL) is False  # run again: the data stay as they are
