"""Evidence bundles carry their checkpoint with the witnesses' cosignatures, and the verifier
can require k of a set of witness keys: a missing or forged cosignature then fails."""

import copy

import pytest
from remelt_verify.bundle import BundleProblem, bundle_verify
from remelt_verify.cosignature import witness_verifier_key

from ledger.checkpoints import checkpoint_sign, verifier_key
from passports.services import rollup_run
from tests.support import witness_running


@pytest.fixture
def auditor_witness(tmp_path, settings, ledger_signing_key):
    with witness_running(tmp_path / "witness.json", settings) as witness:
        yield witness


def test_a_bundle_verifies_with_k_of_its_witnesses(
    loop, client_for, auditor_witness, django_capture_on_commit_callbacks
):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    rollup_run()
    with django_capture_on_commit_callbacks(execute=True):
        checkpoint_sign()  # the witness cosigns it once it commits
    bundle = client_for("certa").get("/api/v1/parts/W-0001/evidence/?upstream=all").json()
    assert bundle["checkpoint"].count("\n— ") == 2  # ours and the witness's
    other = witness_verifier_key("witness.other.example", Ed25519PrivateKey.generate())
    summary = bundle_verify(
        bundle, key=verifier_key(), witnesses=[auditor_witness.verifier_key, other], quorum=1
    )
    assert "cosigned by witness.veritas.example (1 of 1 required)" in summary

    with pytest.raises(BundleProblem, match="checkpoint: missing cosignature.*none by witness.other.example"):
        bundle_verify(bundle, key=verifier_key(), witnesses=[auditor_witness.verifier_key, other], quorum=2)
    stripped = copy.deepcopy(bundle)
    stripped["checkpoint"] = stripped["checkpoint"][: stripped["checkpoint"].rindex("— witness.veritas")]
    with pytest.raises(BundleProblem, match="missing cosignature"):
        bundle_verify(stripped, key=verifier_key(), witnesses=[auditor_witness.verifier_key])
    forged = copy.deepcopy(bundle)
    line = forged["checkpoint"].rsplit("\n", 2)[1]
    forged["checkpoint"] = forged["checkpoint"].replace(
        line, line[:-8] + ("AAAAAAA=" if line[-8:] != "AAAAAAA=" else "BBBBBBA=")
    )
    with pytest.raises(BundleProblem, match="checkpoint: bad signature"):
        bundle_verify(forged, key=verifier_key(), witnesses=[auditor_witness.verifier_key])
