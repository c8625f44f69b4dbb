"""Evidence bundles of format 2 and the steps further up (SPEC §10, `remelt_verify.steps`).

A wheel's bundle recomputes its own part run from its inputs' committed carbon states; an
auditor walks up one proven step at a time to the scrap; a changed committed state fails; the
size of a bundle does not grow with the depth of home-scrap recycling upstream.
"""

import copy
import json
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone
from remelt_verify import carbon
from remelt_verify.bundle import BundleProblem, bundle_verify
from remelt_verify.cli import main
from remelt_verify.steps import EVIDENCE_FORMAT, STEP_FORMAT, evidence_verify, state_member, step_verify

from ledger.checkpoints import verifier_key
from ledger.disclosure import item_lot
from ledger.services import EventInput, events_record
from passports import services
from passports.models import Footprint
from passports.services import rollup_run
from tests.api.support import assert_problem, scrap
from tests.support import disclosure_pair

EVIDENCE = "/api/v1/parts/W-0001/evidence/"


@pytest.fixture(autouse=True)
def _signing(ledger_signing_key):
    """Bundles carry a signed checkpoint."""


def _get(client, url) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


def _step_url(code: str, at: int) -> str:
    return f"/api/v1/evidence/steps/{code}/?at={at}"


def _fails(check, bundle, *fragments) -> str:
    with pytest.raises(BundleProblem) as failure:
        check(bundle, key=verifier_key())
    message = str(failure.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_the_wheels_bundle_carries_its_own_step_and_recomputes_the_passport(loop, client_for):
    rollup_run()
    client = client_for("autofab")
    bundle = _get(client, EVIDENCE)
    passport = _get(client, "/api/v1/parts/W-0001/passport/")
    assert bundle["format"] == EVIDENCE_FORMAT
    assert bundle["footprint"] == passport["footprint"]
    anchor = passport["versions"][0]["anchored_in"]
    # The part run, the cast that made its ingot input (binding ING-1 to its state), the ingot's
    # transfer before the run, the wheel's own transfer, and the anchor: nothing further up.
    assert [e["header"]["seq"] for e in bundle["entries"]] == [
        loop.cast,
        loop.ingot_sent,
        loop.parts_made,
        loop.parts_sent,
        anchor,
    ]
    assert bundle["step"]["entry"] == loop.parts_made and list(bundle["step"]["inputs"]) == ["ING-1"]
    # Only the items the step names are disclosed: autofab holds W-0002 too, sent with W-0001,
    # but the verifier counts the run's and the transfer's other items by their total mass.
    disclosed = {
        e["header"]["seq"]: [item_lot(disclosure_pair(given)[1]) for given in e.get("disclosures", [])]
        for e in bundle["entries"]
    }
    assert disclosed[loop.parts_made] == ["W-0001"] and disclosed[loop.parts_sent] == ["W-0001"]
    assert disclosed[loop.cast] == ["ING-1"]
    summary = evidence_verify(bundle, key=verifier_key())
    assert "W-0001" in summary and "recomputed from its 1 inputs' committed states and equal" in summary
    assert f"walk up: ING-1 (entry {loop.cast}" in summary
    # The state the verifier recomputed offline is the server's, digit for digit.
    footprint = Footprint.objects.get(lot__code="W-0001", superseded_at__isnull=True)
    assert bundle["step"]["state"]["value"] == state_member(footprint.state.value)
    # The format-1 bundle of the same footprint is still served on request and still verifies.
    full = _get(client, EVIDENCE + "?upstream=all")
    assert full["format"] == "remelt-evidence-1" and full["footprint"] == bundle["footprint"]
    assert len(full["entries"]) > len(bundle["entries"])
    assert "W-0001" in bundle_verify(full, key=verifier_key())


def test_an_auditor_walks_up_one_proven_step_at_a_time_down_to_the_scrap(loop, client_for):
    rollup_run()
    client = client_for("certa")
    bundle = _get(client, EVIDENCE)
    walked, pending = [], [(bundle, "W-0001")]
    while pending:
        downstream, _code = pending.pop()
        at = next(
            e["payload"]["ledger_seq"]
            for e in downstream["entries"]
            if e["header"]["seq"] == downstream["step"]["state"]["anchor_seq"]
        )
        for code, given in downstream["step"]["inputs"].items():
            step = _get(client, _step_url(code, at))
            assert step["format"] == STEP_FORMAT and step["lot"]["code"] == code
            # The step up proves the very state the step below took as committed.
            assert step["step"]["entry"] == given["entry"] and step["step"]["state"] == given["state"]
            assert code in step_verify(step, key=verifier_key())
            walked.append(code)
            pending.append((step, code))
    assert sorted(walked) == ["ING-1", "MLT-1", "SCR-A", "SCR-B"]
    scrap_step = _get(client, _step_url("SCR-A", 10**9))
    assert scrap_step["step"]["inputs"] == {}
    assert "it has no inputs" in step_verify(scrap_step, key=verifier_key())


def test_the_command_line_checks_both_formats(loop, client_for, tmp_path, capsys):
    rollup_run()
    client = client_for("certa")
    for name, url in [("w.json", EVIDENCE), ("melt.json", _step_url("MLT-1", 10**9))]:
        (tmp_path / name).write_text(json.dumps(_get(client, url)))
        assert main(["bundle", str(tmp_path / name), "--key", verifier_key()]) == 0
        assert capsys.readouterr().out.startswith("OK")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # An input's committed state changed: its leaf is no longer in its anchor's tree.
        (
            lambda b: b["step"]["inputs"]["ING-1"]["state"]["value"]["intensity"].update(melting="0"),
            "step.inputs[ING-1].state: the state of entry",
        ),
        # The step's own committed state changed.
        (
            lambda b: b["step"]["state"]["value"].update(post_consumer="0.9"),
            "step.state: the state of entry",
        ),
        # A state proof moved to another leaf.
        (lambda b: b["step"]["state"].update(leaf_index=b["step"]["state"]["leaf_index"] + 1), "is not leaf"),
        # The footprint changed: it is not what the step's state gives.
        (lambda b: b["footprint"].update(total_kg_co2e="1.000000"), "footprint.total_kg_co2e"),
        # An input named by another entry than the one that made it.
        (lambda b: b["step"]["inputs"]["ING-1"].update(entry=1), "does not make lot ING-1"),
        # A dropped input.
        (lambda b: b["step"]["inputs"].clear(), "consumes ['ING-1']"),
        # A factor set without the factor a transfer needs: a problem, not a crash.
        (lambda b: b["factor_set"]["factors"].pop("transport_truck"), "cannot be costed"),
    ],
)
def test_a_tampered_committed_state_or_step_fails(loop, client_for, change, expected):
    rollup_run()
    bundle = _get(client_for("certa"), EVIDENCE)
    evidence_verify(bundle, key=verifier_key())
    broken = copy.deepcopy(bundle)
    change(broken)
    _fails(evidence_verify, broken, expected)


def test_a_committed_state_that_does_not_follow_from_its_inputs_fails(loop, client_for, monkeypatch):
    """A roll-up that commits a wrong state for the part run: the state, the footprint and the
    anchor agree with each other and are in the signed log, but the run's inputs and facts do not
    give them, and the offline recomputation says so."""
    honest = carbon.compute_states

    def inflated(processes, known, transfers, factors):
        states = honest(processes, known, transfers, factors)
        main = states[loop.parts_made].main
        wrong = carbon.Carbon(
            {**main.intensity, "melting": main.intensity["melting"] + Decimal("0.1")}, main.post, main.pre
        )
        states[loop.parts_made] = carbon.State(wrong, states[loop.parts_made].internal_scrap)
        return states

    monkeypatch.setattr(services, "carbon", SimpleNamespace(**{**vars(carbon), "compute_states": inflated}))
    rollup_run()
    bundle = _get(client_for("certa"), EVIDENCE)
    _fails(
        evidence_verify,
        bundle,
        f"the state committed for entry {loop.parts_made}",
        "step.state.value.intensity.melting",
    )


def test_steps_are_for_those_who_may_see_the_lot_and_read_at_as_a_whole_number(
    loop, cast, client_for, anonymous
):
    rollup_run()
    assert anonymous.get(_step_url("MLT-1", 5)).status_code == 401
    assert client_for("outsider").get(_step_url("MLT-1", 10**9)).status_code == 404
    assert_problem(client_for("certa").get("/api/v1/evidence/steps/MLT-1/?at=abc"), 400, None)
    assert_problem(client_for("certa").get(EVIDENCE + "?upstream=some"), 400, None)
    # Before the roll-up that computed MLT-1 there is no state of it.
    assert_problem(client_for("certa").get(_step_url("MLT-1", loop.melted)), 409, "no_state")
    # Nor of a receipt recorded after it.
    events_record(
        organisation=cast["alurec"],
        actor="user:loader",
        events=[
            EventInput("scrap.received", timezone.now() - timedelta(minutes=1), scrap("SCR-LATE", "100"))
        ],
    )
    assert_problem(client_for("alurec").get("/api/v1/evidence/steps/SCR-LATE/"), 409, "no_state")


def _home_scrap_history(cast, generations: int, prefix: str) -> str:
    """A wheel maker that remelts each run's internal scrap in the next melt, `generations`
    times (codes starting with `prefix`); returns the serial of a wheel of the last run."""
    wheelworks = cast["wheelworks"]
    when = timezone.now() - timedelta(days=30)
    hours = iter(range(1, 10_000))

    def record(entry_type, data):
        events_record(
            organisation=wheelworks,
            actor="user:loader",
            events=[EventInput(entry_type, when + timedelta(hours=next(hours)), data)],
        )

    scrap_code = None
    for generation in range(generations):
        record("scrap.received", scrap(f"{prefix}S-{generation}", "2000", supplier_name="Foshan Metals"))
        inputs = [{"lot": f"{prefix}S-{generation}", "mass_kg": "2000"}]
        if scrap_code:
            inputs.append({"lot": scrap_code, "mass_kg": "100"})
        record(
            "melt.recorded",
            {
                "code": f"{prefix}M-{generation}",
                "furnace": "TC-65",
                "inputs": inputs,
                "additions": [{"material": "silicon", "mass_kg": "20"}],
                "output_mass_kg": "2000",
                "energy": {"natural_gas_m3": "100", "electricity_kwh": "50"},
            },
        )
        scrap_code = f"{prefix}I-{generation}"
        record(
            "parts.produced",
            {
                "inputs": [{"lot": f"{prefix}M-{generation}", "mass_kg": "1200"}],
                "parts": [
                    {"serial": f"{prefix}W-{generation}-{i}", "mass_kg": "10", "part_number": "AF-18"}
                    for i in range(100)
                ],
                "internal_scrap": {"code": scrap_code, "mass_kg": "150"},
                "energy": {"natural_gas_m3": "0", "electricity_kwh": "300"},
            },
        )
        if generation % 3 == 2:
            rollup_run()
    rollup_run()
    return f"{prefix}W-{generations - 1}-7"


def test_the_bundle_size_does_not_grow_with_the_depth_of_home_scrap_upstream(cast, client_for):
    shallow = _home_scrap_history(cast, 2, "A")
    client = client_for("wheelworks")
    small = _get(client, f"/api/v1/parts/{shallow}/evidence/")
    small_full = _get(client, f"/api/v1/parts/{shallow}/evidence/?upstream=all")
    deep_serial = _home_scrap_history(cast, 12, "B")
    deep = _get(client, f"/api/v1/parts/{deep_serial}/evidence/")
    deep_full = _get(client, f"/api/v1/parts/{deep_serial}/evidence/?upstream=all")
    for bundle in (small, deep):
        evidence_verify(bundle, key=verifier_key())
    size = len(json.dumps(small)), len(json.dumps(deep))
    full = len(json.dumps(small_full)), len(json.dumps(deep_full))
    # Format 1 carries the 12 generations upstream; format 2 the one run and its inputs' states
    # (a few proof hashes more in larger trees and a larger ledger).
    assert full[1] > 4 * full[0], full
    assert size[1] < 1.15 * size[0], size
    assert len(deep["entries"]) == len(small["entries"])
