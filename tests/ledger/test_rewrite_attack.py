"""The rewrite attack: a database superuser changes an early entry and re-hashes everything
after it, the stored tree and the head, so the database agrees with itself again. Internal
verification cannot tell; a checkpoint a partner kept from before can."""

import io
import json
from contextlib import redirect_stdout
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from remelt_verify import cli as offline
from remelt_verify.chain import seal

from ledger.checkpoints import CheckpointRefused, checkpoint_sign
from ledger.models import Entry, LedgerHead
from ledger.tree import CompactRange, tree_backfill
from tests.factories import notes
from tests.support import TEST_SIGNING_KEY, TEST_VERIFIER_KEY, append_only_suspended


@pytest.fixture(autouse=True)
def signing(settings):
    settings.LEDGER_SIGNING_KEY = TEST_SIGNING_KEY


def verify_ledger(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_ledger", *args, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def _time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def rewrite_history(cursor, *, seq: int, payload: dict) -> None:
    """Replace entry `seq`'s payload and make every later entry, the tree and the head agree."""
    prev_hash = Entry.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
    tree = CompactRange()
    nodes = []
    for entry in Entry.objects.order_by("seq"):
        if entry.seq >= seq:
            header = json.loads(bytes(entry.header))
            sealed = seal(
                seq=entry.seq,
                prev_hash=prev_hash,
                type=header["type"],
                org=header["org"],
                actor=header["actor"],
                occurred_at=_time(header["occurred_at"]),
                recorded_at=_time(header["recorded_at"]),
                payload=payload if entry.seq == seq else entry.data,
            )
            cursor.execute(
                "UPDATE ledger_entry SET payload = %s, payload_sha256 = %s, header = %s, hash = %s,"
                " prev_hash = %s WHERE seq = %s",
                [
                    sealed.payload_bytes,
                    sealed.header["payload_sha256"],
                    sealed.header_bytes,
                    sealed.hash,
                    prev_hash,
                    entry.seq,
                ],
            )
            prev_hash = sealed.hash
        nodes += tree.append(bytes.fromhex(prev_hash if entry.seq >= seq else entry.hash))
    cursor.execute("DELETE FROM ledger_tree_node")
    for level, index, node in nodes:
        cursor.execute(
            'INSERT INTO ledger_tree_node (level, "index", hash) VALUES (%s, %s, %s)', [level, index, node]
        )
    cursor.execute("UPDATE ledger_head SET hash = %s", [prev_hash])


@pytest.fixture
def kept(db, tmp_path):
    """The partner's copy of checkpoint 8, taken before the rewrite, and the ledger grown to 12."""
    notes(8)
    path = tmp_path / "checkpoint-8.note"
    path.write_text(checkpoint_sign().note)
    notes(4)
    checkpoint_sign()
    assert verify_ledger("--checkpoint", str(path)) == (
        0,
        f"OK 12 entries, head {LedgerHead.objects.get().hash}\n"
        f"OK the ledger extends checkpoint 8 (root {path.read_text().splitlines()[2]})\n",
    )
    return path


def test_a_rewritten_history_passes_internal_checks_but_not_a_kept_checkpoint(kept):
    old_root = kept.read_text().splitlines()[2]
    with append_only_suspended() as cursor:
        rewrite_history(cursor, seq=2, payload={"n": 1, "mass_kg": "9999.250"})
    assert Entry.objects.get(seq=2).data["mass_kg"] == "9999.250"

    code, out = verify_ledger()
    assert code == 0, out  # chain, tree, head and projections all agree with each other

    code, out = verify_ledger("--checkpoint", str(kept))
    assert code == 1
    assert out.splitlines()[0].startswith("OK 12 entries")
    assert out.splitlines()[1].startswith(
        "FAIL checkpoint 8: inconsistent: the ledger's first 8 entries have root "
    ), out
    assert f"the checkpoint signed {old_root}; the ledger was rewritten at or before seq 8" in out

    # The signer will not sign a tree that does not extend what it signed before.
    with pytest.raises(CheckpointRefused, match="does not extend checkpoint 12"):
        checkpoint_sign()


def test_deleting_our_checkpoints_does_not_make_the_signer_sign_the_rewrite(kept, client, signer_state):
    with append_only_suspended() as cursor:
        rewrite_history(cursor, seq=2, payload={"n": 1, "mass_kg": "9999.250"})
        cursor.execute("DELETE FROM ledger_checkpoint")
    notes(1)
    # The signer remembers checkpoint 12 in its state file, outside the database.
    with pytest.raises(CheckpointRefused, match="does not extend checkpoint 12"):
        checkpoint_sign()
    assert client.get("/api/v1/ledger/checkpoint/").status_code == 404  # nothing signed
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert "refused since" in body["checkpoints"] and "does not extend checkpoint 12" in body["checkpoints"]


def test_an_attacker_who_also_erases_the_signers_state_is_still_caught_by_a_partner(
    kept, client, tmp_path, signer_state
):
    with append_only_suspended() as cursor:
        rewrite_history(cursor, seq=2, payload={"n": 1, "mass_kg": "9999.250"})
        cursor.execute("DELETE FROM ledger_checkpoint")
    signer_state.unlink()  # outside the database: takes more than a database superuser
    notes(1)
    checkpoint_sign()  # with all its memory gone, the signer signs the rewritten ledger

    # The partner fetches the new checkpoint and a proof that it extends the one they kept.
    new = tmp_path / "checkpoint-13.note"
    new.write_bytes(client.get("/api/v1/ledger/checkpoint/").content)
    proof = tmp_path / "consistency.json"
    proof.write_bytes(client.get("/api/v1/ledger/proofs/consistency/", {"from": 8, "to": 13}).content)
    out = io.StringIO()
    args = [
        "consistency",
        "--old",
        str(kept),
        "--new",
        str(new),
        "--proof",
        str(proof),
        "--key",
        TEST_VERIFIER_KEY,
    ]
    with redirect_stdout(out):
        code = offline.main(args)
    assert (code, out.getvalue()) == (
        1,
        "FAIL consistency: checkpoint 13 does not extend checkpoint 8: "
        "the log was rewritten, or the proof is wrong\n",
    )
    assert verify_ledger("--checkpoint", str(kept))[0] == 1


def test_a_checkpoint_of_another_key_or_a_longer_ledger_is_refused(kept, tmp_path, settings):
    forged = tmp_path / "forged.note"
    forged.write_text(kept.read_text().replace("\n8\n", "\n9\n", 1))
    code, out = verify_ledger("--checkpoint", str(forged))
    assert (code, out.split(":")[0:2]) == (1, ["FAIL checkpoint", " bad signature"])

    code, out = verify_ledger(
        "--checkpoint",
        str(kept),
        "--key",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    )
    assert (code, out.split(":")[0:2]) == (1, ["FAIL checkpoint", " unknown key"])

    settings.LEDGER_ORIGIN = "elsewhere.example/ledger"
    code, out = verify_ledger("--checkpoint", str(kept))
    assert code == 1 and "FAIL checkpoint: origin:" in out


def test_a_cut_off_tail_is_caught_by_a_kept_checkpoint(kept):
    with append_only_suspended() as cursor:
        cursor.execute("DELETE FROM ledger_entry WHERE seq > 5")
        cursor.execute("DELETE FROM ledger_tree_node")
    LedgerHead.objects.update(seq=5, hash=Entry.objects.get(seq=5).hash)
    tree_backfill()
    assert verify_ledger()[0] == 0
    code, out = verify_ledger("--checkpoint", str(kept))
    assert code == 1
    assert out.splitlines()[1] == (
        "FAIL checkpoint 8: truncated: the ledger has 5 entries, fewer than the checkpoint's 8"
    )
