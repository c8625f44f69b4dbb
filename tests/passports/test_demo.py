"""The demo month (scaled down) keeps the invariants: the ledger verifies, every wheel has a
footprint, and carbon is conserved."""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from remelt_verify.bundle import bundle_verify

from ledger.checkpoints import verifier_key
from ledger.models import Entry, Lot
from ledger.projection import projection_drift
from ledger.selectors import chain_verify
from ledger.visibility import Viewer
from passports.demo import SMALL, demo_load
from passports.evidence import evidence_bundle
from passports.models import Footprint
from passports.selectors import upstream_lot_ids
from passports.services import rollup_run
from tests.passports.test_rollup_properties import held_emissions, introduced_emissions


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


def test_an_interrupted_load_leaves_nothing_and_the_next_run_loads(db, monkeypatch):
    from passports.demo import Month

    real_melt = Month.wheel_melt
    calls = []

    def interrupted(self, day):
        calls.append(day)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C half-way through the month
        real_melt(self, day)

    monkeypatch.setattr(Month, "wheel_melt", interrupted)
    with pytest.raises(KeyboardInterrupt):
        demo_load(scale=SMALL)
    assert not Entry.objects.exists() and not Lot.objects.exists()
    monkeypatch.setattr(Month, "wheel_melt", real_melt)
    assert demo_load(scale=SMALL) is True
    assert Lot.objects.filter(kind="part").count() == 300


def test_load_demo_prints_urls_that_answer(db, client, tmp_path, settings, ledger_signing_key):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("load_demo", "--small", "--base-url", "http://testserver", stdout=out)
    printed = out.getvalue()
    urls = dict(re.findall(r"^([a-z' ]+):\s+http://testserver(\S+)", printed, re.MULTILINE))
    passport = client.get(urls["a wheel's passport"])
    assert passport.status_code == 200
    footprint = Footprint.objects.get(lot__code=urls["a wheel's passport"].split("/")[2], superseded_at=None)
    assert footprint.document["total_kg_co2e"][:6] in passport.content.decode()
    assert client.get(urls["health"]).status_code == 200
    assert "veritas" in printed and "northstar-motors rmk_" in printed
    assert client.login(username="veritas", password="remelt-demo")
    assert client.get(urls["auditor view"]).status_code == 200
    recall = client.get(urls["a scrap lot's recall"])
    assert recall.status_code == 200 and "ZY" in recall.content.decode()
