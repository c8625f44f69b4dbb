"""The demo month (scaled down) keeps the invariants: the ledger verifies, every wheel has a
footprint, and carbon is conserved."""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from remelt_verify.bundle import bundle_verify
from remelt_verify.cli import main as verify_main

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
    assert {"lot.amended", "entry.voided", "supply.confirmed"} <= set(
        Entry.objects.values_list("type", flat=True)
    )
    # The trader and the dismantler confirmed their receipts and hold those lots; the die-caster
    # confirmed none and holds none of the lots that name it.
    for supplier, confirmed in (("guangfa-scrap", True), ("lianhe-elv", True), ("jinghua-diecast", False)):
        named = Lot.objects.filter(supplier=supplier, voided=False)
        assert named.exists()
        assert set(named.values_list("supplier_confirmed", flat=True)) == {confirmed}
        held = named.filter(holders__organisation__slug=supplier).count()
        assert held == (named.count() if confirmed else 0), supplier
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


def test_load_demo_prints_urls_that_answer(db, tmp_path, settings, ledger_signing_key, capsys):
    """Every URL of the banner answers 200 in a browser session of the user it names (anyone's
    where it names none), and the offline check it prints passes on what those URLs serve."""
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("load_demo", "--small", "--base-url", "http://testserver", stdout=out)
    printed = out.getvalue()
    lines = re.findall(r"^([A-Za-z0-9'() -]+?):\s+http://testserver(\S+)(.*)$", printed, re.MULTILINE)
    urls = {label: path for label, path, _ in lines}
    assert {"home", "admin", "auditor view", "API docs", "health", "a wheel's passport"} <= set(urls)
    answers = {}
    for label, path, hint in lines:
        browser = Client()
        if user := re.search(r"sign in as (\w+)", hint):
            assert browser.login(username=user[1], password="remelt-demo"), user[1]
            assert Client().get(path).status_code != 200, f"{label} answers without signing in"
        response = browser.get(path)
        assert response.status_code == 200, (label, path, response.status_code)
        answers[label] = response

    passport = answers["a wheel's passport"]
    serial = urls["a wheel's passport"].split("/")[2]
    footprint = Footprint.objects.get(lot__code=serial, superseded_at=None)
    assert footprint.document["total_kg_co2e"][:6] in passport.content.decode()
    assert "veritas" in printed and "northstar-motors rmk_" in printed

    # The recall shown is of a scrap lot whose metal is in many of the demo's wheels.
    recall_wheels = int(re.search(r"its metal is in ([\d,]+) wheels", printed)[1].replace(",", ""))
    assert recall_wheels >= 50
    assert f'<div class="figure">{recall_wheels}</div>' in answers["a scrap lot's recall"].content.decode()

    # The printed offline check, run on the bundle and key those URLs gave.
    [command] = re.findall(r"^check it offline:\s+remelt-verify (.+)$", printed, re.MULTILINE)
    bundle_name, key_flag, key_name = command.split()
    assert (bundle_name, key_flag) == (f"{serial}-evidence.json", "--key")
    (tmp_path / bundle_name).write_bytes(answers["its evidence bundle"].content)
    (tmp_path / key_name).write_bytes(answers["the operator's key"].content)
    capsys.readouterr()
    assert verify_main([str(tmp_path / bundle_name), "--key", str(tmp_path / key_name)]) == 0
    assert capsys.readouterr().out.startswith("OK ")


def test_the_readme_names_what_the_demo_prints(db, tmp_path, settings, ledger_signing_key):
    """The README names serials of the full demo month and its tour names lots: they are there
    after a load, and the wheel and the recall are the ones the banner prints."""
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    printed = out.getvalue()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    tour = readme[: readme.index("\n## Layout")]  # later sections also show events' made-up lots
    named = set(re.findall(r"\bZY\d{12}\b", readme) + re.findall(r"\b(?:SCR|MLT|ING)-2026-\d{6}\b", tour))
    assert "ZY261106000001" in named and "SCR-2026-000001" in named
    assert named <= set(Lot.objects.filter(code__in=named).values_list("code", flat=True))
    assert "/passports/ZY261106000001/" in printed
    recall = re.search(r"/audit/lots/(\S+)/recall/ .* its metal is in ([\d,]+) wheels", printed)
    assert recall[1] == "SCR-2026-000001"
    assert f"whose metal is in {recall[2]} of the wheels" in " ".join(readme.split())
