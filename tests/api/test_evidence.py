"""GET /api/v1/parts/{serial}/evidence/?upstream=all (format 1) and `remelt-verify bundle.json`.

Format 1 carries every entry upstream (format 2, the default, is tests/api/test_evidence_steps.py).
A genuine bundle verifies offline and its recomputed footprint equals the passport; a bundle
with one number changed anywhere fails, naming it; outsiders cannot fetch one.
"""

import copy
import json
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone
from remelt_verify.bundle import BundleProblem, bundle_verify, footprint_recompute
from remelt_verify.disclosure import reveal

from ledger.checkpoints import verifier_key
from ledger.services import EventInput, events_record
from passports.models import EmissionFactorSet
from passports.services import factors_of, rollup_run
from tests.api.support import assert_problem
from tests.support import disclosure_pair

EVIDENCE = "/api/v1/parts/W-0001/evidence/?upstream=all"


@pytest.fixture(autouse=True)
def _signing(ledger_signing_key):
    """Bundles carry a signed checkpoint."""


def _bundle(client, url=EVIDENCE) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Disposition"] == f'attachment; filename="{url.split("/")[4]}-evidence.json"'
    return response.json()


def _entry(bundle, entry_type) -> dict:
    return next(e for e in bundle["entries"] if e["header"]["type"] == entry_type)


def _data(entry) -> dict | None:
    """An entry's payload with the items disclosed in the bundle in their places."""
    if entry["payload"] is None:
        return None
    return reveal(entry["payload"], entry.get("disclosures", []))


def _fails(bundle, *fragments) -> str:
    with pytest.raises(BundleProblem) as failure:
        bundle_verify(bundle, key=verifier_key())
    message = str(failure.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_anonymous_is_401_and_an_outsider_404(loop, anonymous, client_for):
    rollup_run()
    assert anonymous.get(EVIDENCE).status_code == 401
    response = client_for("outsider").get(EVIDENCE)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_before_the_roll_up_there_is_no_bundle(loop, client_for):
    response = client_for("certa").get(EVIDENCE)
    assert_problem(response, 409, "no_footprint")


def test_a_genuine_bundle_verifies_and_recomputes_the_passport(loop, client_for):
    rollup_run()
    bundle = _bundle(client_for("certa"))
    passport = client_for("certa").get("/api/v1/parts/W-0001/passport/").json()
    assert bundle["footprint"] == passport["footprint"]
    assert bundle["footprint_digest"] == passport["versions"][0]["digest"]
    seqs = [entry["header"]["seq"] for entry in bundle["entries"]]
    # What made W-0001 and everything upstream, the custody transfers of those lots, the anchor;
    # not the outsider's receipt nor anything else.
    assert seqs == [
        loop.received_a,
        loop.received_b,
        loop.melted,
        loop.cast,
        loop.ingot_sent,
        loop.parts_made,
        loop.parts_sent,
        passport["versions"][0]["anchored_in"],
    ]
    summary = bundle_verify(bundle, key=verifier_key())
    assert "W-0001" in summary and "anchored in entry" in summary and "with your key" in summary
    recomputed = footprint_recompute(
        entries=[(e["header"]["seq"], e["header"]["type"], _data(e)) for e in bundle["entries"]],
        code="W-0001",
        ledger_seq=bundle["footprint"]["ledger_seq"],
        factors=factors_of(EmissionFactorSet.current()),
    )
    assert {k: v for k, v in bundle["footprint"].items() if k not in ("version", "ledger_seq")} == recomputed


def test_the_holders_bundle_verifies_the_anchoring_like_the_auditors(loop, client_for):
    rollup_run()
    bundle = _bundle(client_for("autofab"))
    anchor = _entry(bundle, "footprint.computed")
    # Anchors commit by Merkle roots and name no lot, so the holder gets the payload …
    assert anchor["payload"]["anchor"] == 2 and "W-0002" not in json.dumps(anchor["payload"])
    assert all(e["payload"] is not None for e in bundle["entries"])
    # … and checks its footprint's leaf in it, as an auditor does.
    summary = bundle_verify(bundle, key=verifier_key())
    assert f"anchored in entry {anchor['header']['seq']}" in summary
    broken = copy.deepcopy(bundle)
    broken["footprint_proof"]["leaf_index"] += 1
    _fails(broken, "footprint_proof", "is not leaf")
    # A bundle whose anchor payload is withheld proves nothing about the anchoring: it fails.
    withheld = copy.deepcopy(bundle)
    _entry(withheld, "footprint.computed")["payload"] = None
    _fails(withheld, "its payload is withheld", "cannot be checked")


def test_an_ingot_lot_has_a_bundle_too(loop, client_for):
    rollup_run()
    bundle = _bundle(client_for("wheelworks"), "/api/v1/lots/ING-1/evidence/?upstream=all")
    assert bundle["lot"] == {"code": "ING-1", "kind": "ingot", "mass_kg": "6000.000"}
    assert "ING-1" in bundle_verify(bundle, key=verifier_key())


def test_amendments_and_later_versions_are_recomputed_from_the_entries(loop, client_for, cast):
    rollup_run()
    events_record(
        organisation=cast["alurec"],
        actor="user:loader",
        events=[
            EventInput(
                "lot.amended",
                timezone.now() - timedelta(minutes=5),
                {
                    "lot": "SCR-A",
                    "reason": "weighbridge ticket",
                    "transport": {"distance_km": "900", "mode": "rail"},
                },
            )
        ],
    )
    rollup_run()
    bundle = _bundle(client_for("certa"))
    assert bundle["footprint"]["version"] == 2
    assert "lot.amended" in [e["header"]["type"] for e in bundle["entries"]]
    bundle_verify(bundle, key=verifier_key())
    # The amendment is what the recomputation rests on: without it the scrap transport differs.
    entries = [(e["header"]["seq"], e["header"]["type"], _data(e)) for e in bundle["entries"]]
    unamended = footprint_recompute(
        entries=[entry for entry in entries if entry[1] != "lot.amended"],
        code="W-0001",
        ledger_seq=bundle["footprint"]["ledger_seq"],
        factors=factors_of(EmissionFactorSet.current()),
    )
    assert unamended["by_stage"]["scrap_transport"] != bundle["footprint"]["by_stage"]["scrap_transport"]
    # And a bundle that leaves an entry out is caught by the links around the gap.
    stripped = copy.deepcopy(bundle)
    amendment = _entry(stripped, "lot.amended")
    stripped["entries"].remove(amendment)
    _fails(stripped, f"entry {amendment['header']['seq'] + 1}: link unproven")


def test_a_runs_energy_amended_through_another_holders_wheel_is_in_every_wheels_bundle(
    loop, client_for, cast
):
    """wheelworks corrects the run's energy through W-0003, which it holds; autofab holds W-0001
    of the same run, may not see W-0003, and its bundle must still recompute the amended run."""
    rollup_run()
    events_record(
        organisation=cast["wheelworks"],
        actor="user:loader",
        events=[
            EventInput(
                "lot.amended",
                timezone.now() - timedelta(minutes=5),
                {"lot": "W-0003", "reason": "meter read again", "energy": {"electricity_kwh": "900"}},
            )
        ],
    )
    rollup_run()
    passport = client_for("autofab").get("/api/v1/parts/W-0001/passport/").json()
    bundle = _bundle(client_for("autofab"))
    assert bundle["footprint"] == passport["footprint"]
    assert bundle["footprint"]["version"] == 2
    assert _entry(bundle, "lot.amended")["payload"]["lot"] == "W-0003"  # in the bundle, readable
    bundle_verify(bundle, key=verifier_key())
    # The run's entry discloses W-0003 to autofab only as the lot the amendment names; W-0004
    # (not amended, not autofab's) stays a placeholder.
    run = _data(_entry(bundle, "parts.produced"))
    serials = [part.get("serial") for part in run["parts"]]
    assert "W-0003" in serials and "W-0004" not in serials
    entries = [(e["header"]["seq"], e["header"]["type"], _data(e)) for e in bundle["entries"]]
    unamended = footprint_recompute(
        entries=[entry for entry in entries if entry[1] != "lot.amended"],
        code="W-0001",
        ledger_seq=bundle["footprint"]["ledger_seq"],
        factors=factors_of(EmissionFactorSet.current()),
    )
    assert unamended["by_stage"]["part_production"] != bundle["footprint"]["by_stage"]["part_production"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda b: _entry(b, "melt.recorded")["payload"]["additions"][0].update(mass_kg="90.000"),
            "payload does not match",
        ),
        (
            lambda b: b["footprint"].update(total_kg_co2e="1.000000"),
            "footprint.total_kg_co2e: the bundle says '1.000000'",
        ),
        (
            lambda b: b["footprint"]["recycled_content"].update(post_consumer="0.990000"),
            "footprint.recycled_content.post_consumer",
        ),
        (lambda b: b["factor_set"]["factors"].update(silicon="1.000000"), "footprint.by_stage.alloying"),
        (
            lambda b: _entry(b, "scrap.received")["header"].update(occurred_at="2020-01-01T00:00:00.000000Z"),
            "header hashes to",
        ),
        (
            lambda b: b["proofs"].update({next(iter(b["proofs"])): ["00" * 32]}),
            "inclusion proof does not reach",
        ),
        (lambda b: b.update(footprint_digest="ab" * 32), "footprint_digest"),
        (lambda b: b.update(checkpoint=b["checkpoint"].replace("\n", "\n ", 1)), "checkpoint"),
    ],
    ids=["entry-mass", "total", "recycled-share", "factor", "header", "proof", "digest", "checkpoint"],
)
def test_one_changed_number_fails_naming_it(loop, client_for, change, expected):
    rollup_run()
    bundle = _bundle(client_for("certa"))
    change(bundle)
    _fails(bundle, expected)


def test_a_bundle_signed_by_someone_else_fails_with_the_operators_key(loop, client_for):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from remelt_verify.notes import sign_note, verifier_key_string

    rollup_run()
    bundle = _bundle(client_for("certa"))
    forger = Ed25519PrivateKey.generate()
    body = bundle["checkpoint"][: bundle["checkpoint"].rfind("\n\n") + 1]
    bundle["checkpoint"] = sign_note(body, "remelt.example/ledger", forger)
    bundle["verifier_key"] = verifier_key_string("remelt.example/ledger", forger.public_key())
    assert "with the key in the bundle" in bundle_verify(bundle)  # self-consistent …
    _fails(bundle, "checkpoint")  # … but not signed by the operator


def test_the_command_line_verifier_needs_no_django(loop, client_for, tmp_path):
    rollup_run()
    bundle = _bundle(client_for("certa"))
    path = tmp_path / "W-0001-evidence.json"
    path.write_text(json.dumps(bundle))
    key = tmp_path / "operator.key"
    key.write_text(verifier_key())
    script = (
        "import sys; from remelt_verify.cli import main; code = main(sys.argv[1:]); "
        "assert not any(m.startswith('django') for m in sys.modules), 'django was imported'; sys.exit(code)"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(path), "--key", str(key)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("OK W-0001:")
    disclosure_pair(_entry(bundle, "parts.produced")["disclosures"][0])[1]["mass_kg"] = "21.000"
    path.write_text(json.dumps(bundle))
    run = subprocess.run(
        [sys.executable, "-m", "remelt_verify", str(path), "--key", str(key)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert run.stdout.startswith("FAIL") and "parts.produced" in run.stdout and "changed" in run.stdout
