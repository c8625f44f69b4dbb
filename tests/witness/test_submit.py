"""The log side of witnessing: each signed checkpoint is submitted to the configured witnesses,
their cosignatures are stored and served with the checkpoint, and a refusal (a rewritten log)
or a witness that does not answer shows in /healthz and the admin."""

import io
from contextlib import redirect_stdout

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from remelt_verify import cli
from remelt_verify.cosignature import cosignatures_require, witness_verifier_key
from remelt_verify.notes import Checkpoint, format_checkpoint, parse_signer_key, sign_note

from ledger.checkpoints import checkpoint_latest, checkpoint_sign
from ledger.cosignatures import checkpoint_note
from ledger.models import Cosignature, SignedCheckpoint
from ledger.tree import tree_root, tree_size
from tests.factories import notes
from tests.ledger.test_rewrite_attack import rewrite_history
from tests.support import TEST_SIGNING_KEY, TEST_VERIFIER_KEY, append_only_suspended, witness_running
from witness.models import WitnessState
from witness.services import witness_submit, witnesses_submit


@pytest.fixture
def auditor_witness(tmp_path, settings, ledger_signing_key):
    """The auditor's witness over HTTP, configured as our only witness."""
    with witness_running(tmp_path / "witness.json", settings) as witness:
        yield witness


def _sign(capture) -> SignedCheckpoint:
    """Sign a checkpoint and run what its commit asks for (the submission, eagerly here)."""
    with capture(execute=True):
        signed = checkpoint_sign()
    return signed


def test_every_new_checkpoint_is_cosigned_and_served_with_its_cosignature(
    db, client, auditor_witness, django_capture_on_commit_callbacks, tmp_path
):
    notes(3)
    first = _sign(django_capture_on_commit_callbacks)
    assert Cosignature.objects.filter(checkpoint=first).count() == 1
    notes(4)
    second = _sign(django_capture_on_commit_callbacks)  # from size 3, with a consistency proof
    served = client.get("/api/v1/ledger/checkpoint/").content.decode()
    assert served == checkpoint_note(second) and served.startswith(second.note)
    (cosigned,) = cosignatures_require(served, [auditor_witness.verifier_key], 1)
    assert cosigned.name == "witness.veritas.example"
    assert client.get(f"/api/v1/ledger/checkpoints/?size={first.size}").content.decode() == checkpoint_note(
        first
    )
    state = WitnessState.objects.get()
    assert (state.cosigned_size, state.failing) == (7, False)
    assert auditor_witness.state["remelt.example/ledger"]["size"] == 7
    # Asking again changes nothing: it is cosigned already.
    assert witnesses_submit()[0].detail == "size 7 is cosigned already"
    health = client.get("/healthz").json()
    assert health["witnesses"] == "witness.veritas.example: cosigned size 7"

    # An auditor requires the witness's cosignature with the verifier alone.
    path = tmp_path / "latest.note"
    path.write_text(served)
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli.main(
            ["checkpoint", str(path), "--key", TEST_VERIFIER_KEY, "--witness", auditor_witness.verifier_key]
        )
    assert code == 0 and "cosigned by witness.veritas.example (1 of 1 required)" in out.getvalue()


def test_a_rewritten_log_is_refused_and_the_refusal_shows(
    db, client, admin_client, settings, auditor_witness, django_capture_on_commit_callbacks
):
    notes(5)
    _sign(django_capture_on_commit_callbacks)
    assert WitnessState.objects.get().cosigned_size == 5
    # A superuser rewrites entry 2, re-hashes the rest and the tree, deletes our checkpoints and
    # gets the forgery signed with the real key (as issue #13 item 3 describes).
    notes(1)
    with append_only_suspended() as cursor:
        rewrite_history(cursor, seq=2, payload={"n": 1, "mass_kg": "999.250"})
        cursor.execute("DELETE FROM ledger_cosignature")
        cursor.execute("DELETE FROM ledger_checkpoint")
    name, private_key = parse_signer_key(TEST_SIGNING_KEY)
    size = tree_size()
    forged = SignedCheckpoint.objects.create(
        size=size,
        root=tree_root(size),
        note=sign_note(
            format_checkpoint(Checkpoint("remelt.example/ledger", size, tree_root(size))), name, private_key
        ),
    )
    ((url, key),) = settings.LEDGER_WITNESSES
    result = witness_submit(url=url, key=key, checkpoint=forged)
    assert not result.cosigned and result.status == 422 and "rewritten" in result.detail
    assert not Cosignature.objects.exists() and auditor_witness.state["remelt.example/ledger"]["size"] == 5
    state = WitnessState.objects.get()
    assert state.failing and state.problem_status == 422
    health = client.get("/healthz").json()
    assert health["status"] == "degraded" and "refused (422)" in health["witnesses"]
    page = admin_client.get("/admin/witness/witnessstate/").content.decode()
    assert "witness.veritas.example" in page and "422" in page and "rewritten" in page


def test_a_witness_that_does_not_answer_degrades_health(
    db, client, settings, ledger_signing_key, django_capture_on_commit_callbacks
):
    key = witness_verifier_key("witness.gone.example", Ed25519PrivateKey.generate())
    settings.LEDGER_WITNESSES = [("http://127.0.0.1:9/", key)]  # the discard port: nothing listens
    settings.LEDGER_WITNESS_TIMEOUT = 1
    notes(2)
    _sign(django_capture_on_commit_callbacks)
    state = WitnessState.objects.get()
    assert state.failing and state.problem_status is None and "no answer" in state.problem
    health = client.get("/healthz").json()
    assert health["status"] == "degraded" and "witness.gone.example: no answer" in health["witnesses"]
    assert checkpoint_latest().size == 2  # signing did not wait for, nor fail with, the witness
