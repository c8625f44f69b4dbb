"""The signer's memory: what it signed last, kept in a state file outside the database it
checks, written before the checkpoint is stored, and every refusal recorded there."""

import json
import logging
from unittest import mock

import pytest

from accounts.services import user_create
from ledger.checkpoints import CheckpointRefused, SignerMemory, checkpoint_sign, signer_health
from ledger.models import LedgerHead, SignedCheckpoint
from tests.factories import notes
from tests.support import TEST_SIGNING_KEY, append_only_suspended


@pytest.fixture(autouse=True)
def signing(settings):
    settings.LEDGER_SIGNING_KEY = TEST_SIGNING_KEY


def state(path) -> dict:
    return json.loads(path.read_text())


def test_it_remembers_the_size_root_and_note_it_signed(db, signer_state):
    assert signer_health().detail == "no checkpoint signed yet"
    notes(3)
    signed = checkpoint_sign()
    kept = state(signer_state)
    assert (kept["size"], kept["note"], kept["refused"]) == (3, signed.note, None)
    assert kept["root"] == signed.note.splitlines()[2]
    assert signer_health().ok and signer_health().detail.startswith("ok (signed size 3 at ")


def test_the_state_is_written_before_the_checkpoint_is_stored(db, signer_state):
    notes(2)
    checkpoint_sign()
    notes(2)
    with (
        mock.patch.object(SignedCheckpoint.objects, "create", side_effect=RuntimeError("database gone")),
        pytest.raises(RuntimeError),
    ):
        checkpoint_sign()
    assert state(signer_state)["size"] == 4  # remembered, though never stored
    assert list(SignedCheckpoint.objects.values_list("size", flat=True)) == [2]
    assert checkpoint_sign() is None  # the next run stores what it remembers: the same note
    assert SignedCheckpoint.objects.get(size=4).note == state(signer_state)["note"]


def test_a_failed_write_leaves_the_old_state_whole(db, signer_state):
    notes(2)
    checkpoint_sign()
    before = signer_state.read_text()
    notes(1)
    with (
        mock.patch("ledger.checkpoints.os.replace", side_effect=OSError("disk full")),
        pytest.raises(OSError),
    ):
        checkpoint_sign()
    assert signer_state.read_text() == before
    assert sorted(p.name for p in signer_state.parent.iterdir()) == [
        "ledger-signer-state.json",
        "ledger-signer-state.json.lock",
    ]  # no temporary file left behind
    assert list(SignedCheckpoint.objects.values_list("size", flat=True)) == [2]


def test_deleted_checkpoints_do_not_make_it_forget(db, signer_state):
    notes(5)
    checkpoint_sign()
    with append_only_suspended() as cursor:
        cursor.execute("DELETE FROM ledger_checkpoint")
        cursor.execute("DELETE FROM ledger_entry WHERE seq > 3")
        cursor.execute("DELETE FROM ledger_tree_node")
    LedgerHead.objects.update(seq=3)
    with pytest.raises(CheckpointRefused, match="3 entries, fewer than the 5"):
        checkpoint_sign()
    assert not SignedCheckpoint.objects.exists()
    refused = state(signer_state)["refused"]
    assert (refused["size"], state(signer_state)["size"]) == (3, 5)
    assert "fewer than the 5" in refused["reason"]


def test_a_refusal_clears_once_the_ledger_extends_what_it_signed_again(db, signer_state, client):
    notes(5)
    checkpoint_sign()
    LedgerHead.objects.update(seq=4)  # as if the last entry were gone
    with pytest.raises(CheckpointRefused):
        checkpoint_sign()
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert "refused since" in body["checkpoints"] and "4 entries, fewer than the 5" in body["checkpoints"]
    LedgerHead.objects.update(seq=5)
    notes(1)
    assert checkpoint_sign().size == 6
    assert state(signer_state)["refused"] is None
    assert client.get("/healthz").json()["checkpoints"].startswith("ok (signed size 6")


def test_a_checkpoint_in_the_database_beyond_its_memory_is_refused(db, signer_state, tmp_path, settings):
    notes(2)
    checkpoint_sign()
    saved = signer_state.read_text()
    notes(2)
    checkpoint_sign()
    signer_state.write_text(saved)  # a second signer's state file, still at 2
    notes(1)
    with pytest.raises(CheckpointRefused, match="holds checkpoint 4, beyond the 2 this signer signed"):
        checkpoint_sign()


def test_a_checkpoint_row_replaced_behind_its_back_is_refused(db, signer_state):
    notes(2)
    first = checkpoint_sign()
    with append_only_suspended() as cursor:
        cursor.execute("UPDATE ledger_checkpoint SET note = %s", [first.note.replace("\n2\n", "\n2\n\n")])
    with pytest.raises(CheckpointRefused, match="checkpoint 2 is not the one this signer signed"):
        checkpoint_sign()


def test_without_a_state_file_it_starts_from_the_database_and_remembers(db, signer_state, caplog):
    notes(3)
    signed = checkpoint_sign()
    signer_state.unlink()  # a deployment from before the signer kept its state
    with caplog.at_level(logging.WARNING, logger="ledger.checkpoints"):
        assert checkpoint_sign() is None
    assert "no state file" in caplog.text and "starts from checkpoint 3" in caplog.text
    assert (state(signer_state)["size"], state(signer_state)["note"]) == (3, signed.note)


def test_a_state_file_it_cannot_read_is_refused_and_left_as_it_is(db, signer_state, client):
    notes(2)
    checkpoint_sign()
    signer_state.write_text("{not json")
    with pytest.raises(CheckpointRefused, match="state file .* cannot be read"):
        checkpoint_sign()
    assert signer_state.read_text() == "{not json"
    body = client.get("/healthz").json()
    assert body["status"] == "degraded" and "cannot be read" in body["checkpoints"]


def test_a_refusal_before_it_ever_signed_is_recorded_too(db, signer_state):
    notes(2)
    SignerMemory(signer_state).refuse(None, reason="test", size=2)
    assert state(signer_state)["size"] is None
    assert not signer_health().ok
    assert checkpoint_sign().size == 2  # nothing to extend: it signs, and the refusal is gone
    assert state(signer_state)["refused"] is None


def test_the_admins_checkpoint_list_shows_a_refusal(db, client, signer_state):
    ops = user_create(username="ops", organisation=None, password=None, is_staff=True)
    ops.is_superuser = True
    ops.save(update_fields=["is_superuser"])
    client.force_login(ops)
    notes(4)
    checkpoint_sign()
    page = client.get("/admin/ledger/signedcheckpoint/")
    assert page.status_code == 200
    assert "Checkpoint signer: ok (signed size 4 at" in page.content.decode()
    LedgerHead.objects.update(seq=3)
    with pytest.raises(CheckpointRefused):
        checkpoint_sign()
    text = client.get("/admin/ledger/signedcheckpoint/").content.decode()
    assert "Checkpoint signer: refused since" in text and "3 entries, fewer than the 4" in text
    assert (
        client.get(f"/admin/ledger/signedcheckpoint/{SignedCheckpoint.objects.get().pk}/change/").status_code
        == 200
    )
