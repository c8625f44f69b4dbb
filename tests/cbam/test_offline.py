"""A CBAM report's evidence bundle: remelt-verify recomputes the report, and names what was changed."""

import copy
import json
import subprocess
import sys

import pytest
from remelt_verify.bundle import BundleProblem
from remelt_verify.cbam_bundle import cbam_bundle_verify

from cbam.services import report_request, reports_compute
from ledger.checkpoints import verifier_key
from tests.cbam.ledger_example import Q4, worked_example
from tests.ledger.test_events import record


@pytest.fixture(autouse=True)
def _signing(ledger_signing_key):
    pass


@pytest.fixture
def bundle(alurec, client_for):
    worked_example(alurec)
    # Amended once: the bundle carries the amendment, and the recomputation applies it.
    record(
        alurec,
        "lot.amended",
        {"lot": "M-B", "reason": "meter", "energy": {"natural_gas_m3": "3900", "electricity_kwh": "6000"}},
    )
    report_request(organisation=alurec, installation="HN-1", start=Q4[0], end=Q4[1])
    [report] = reports_compute()
    response = client_for("alurec").get(f"/api/v1/cbam/reports/{report.pk}/evidence/")
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def test_the_bundle_verifies_and_recomputes_the_report(bundle):
    summary = cbam_bundle_verify(bundle, key=verifier_key())
    assert "recomputed with cbam-2026.1 and equal (7601 20 SEE_direct 0.2255)" in summary
    assert [entry["header"]["type"] for entry in bundle["entries"]].count("lot.amended") == 1


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda b: b["report"]["goods"][0].update(see_direct_t_co2e_per_t="0.1000"), "report_digest"),
        (lambda b: b["factor_set"]["factors"]["natural_gas_combustion_m3"].update(value="1.0"), "factor_set"),
        (lambda b: b["entries"].pop(3), "entries"),
    ],
)
def test_a_changed_bundle_fails_naming_what(bundle, tamper, problem):
    changed = copy.deepcopy(bundle)
    tamper(changed)
    with pytest.raises(BundleProblem) as caught:
        cbam_bundle_verify(changed, key=verifier_key())
    assert problem in str(caught.value) or "link" in str(caught.value)


def test_a_report_that_its_entries_do_not_give_fails(bundle):
    changed = copy.deepcopy(bundle)
    changed["report"]["goods"][0]["see_direct_t_co2e_per_t"] = "0.1000"
    from remelt_verify.cbam import report_digest

    changed["report_digest"] = report_digest(changed["report"])
    with pytest.raises(BundleProblem, match="commits to report"):
        cbam_bundle_verify(changed, key=verifier_key())


def test_remelt_verify_checks_it_offline(bundle, tmp_path):
    path = tmp_path / "cbam-evidence.json"
    path.write_text(json.dumps(bundle))
    key = tmp_path / "ledger.key"
    key.write_text(verifier_key())
    done = subprocess.run(
        [sys.executable, "-m", "remelt_verify", "bundle", str(path), "--key", str(key)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK") and "SEE_direct 0.2255" in done.stdout


def test_buyers_get_no_bundle(bundle, client_for):
    from cbam.models import CbamReport

    report = CbamReport.objects.get()
    sent = {"lots": ["ING-A"], "to": "wheelworks", "transport": {"distance_km": "80", "mode": "truck"}}
    record(report.period.installation.organisation, "custody.transferred", sent)
    assert client_for("wheelworks").get(f"/api/v1/cbam/reports/{report.pk}/").status_code == 200
    assert client_for("wheelworks").get(f"/api/v1/cbam/reports/{report.pk}/evidence/").status_code == 404
    assert client_for("certa").get(f"/api/v1/cbam/reports/{report.pk}/evidence/").status_code == 200
