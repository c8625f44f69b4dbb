"""Signing checkpoints: what the beat task signs, when it signs nothing, when it refuses, and
the database's guarantee that one size never gets two roots."""

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, IntegrityError, connection, transaction
from remelt_verify import merkle
from remelt_verify.notes import (
    Checkpoint,
    format_checkpoint,
    parse_checkpoint,
    parse_signer_key,
    sign_note,
    verify_note,
)

from ledger import tasks
from ledger.checkpoints import CheckpointRefused, checkpoint_sign, signing_key, verifier_key
from ledger.models import Entry, LedgerHead, SignedCheckpoint
from tests.factories import notes
from tests.support import TEST_SIGNING_KEY, TEST_VERIFIER_KEY, append_only_suspended

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def signing(settings):
    settings.LEDGER_SIGNING_KEY = TEST_SIGNING_KEY


def entry_hashes() -> list[bytes]:
    return [bytes.fromhex(value) for value in Entry.objects.values_list("hash", flat=True)]


def test_a_checkpoint_is_a_signed_note_of_the_whole_ledger(db):
    notes(11)
    signed = checkpoint_sign()
    assert verifier_key() == TEST_VERIFIER_KEY
    checkpoint = parse_checkpoint(verify_note(signed.note, TEST_VERIFIER_KEY))
    assert checkpoint.origin == django_settings.LEDGER_ORIGIN
    assert checkpoint.size == 11 == signed.size
    assert checkpoint.root == merkle.root_from_leaves(entry_hashes()) == bytes(signed.root)
    assert checkpoint.extensions == ()
    assert signed.note.startswith("remelt.example/ledger\n11\n")


def test_the_task_signs_only_when_the_ledger_has_grown(db):
    assert tasks.checkpoint_sign() == 0  # the empty ledger has a checkpoint too
    assert tasks.checkpoint_sign() is None
    notes(3)
    assert tasks.checkpoint_sign() == 3
    assert tasks.checkpoint_sign() is None
    assert tasks.checkpoint_sign() is None
    notes(1)
    assert tasks.checkpoint_sign() == 4
    assert list(SignedCheckpoint.objects.values_list("size", flat=True)) == [0, 3, 4]
    first = SignedCheckpoint.objects.get(size=0)
    assert parse_checkpoint(verify_note(first.note, TEST_VERIFIER_KEY)).root == merkle.EMPTY_ROOT


def test_it_refuses_to_sign_a_tree_that_does_not_extend_the_last_checkpoint(db):
    notes(6)
    checkpoint_sign()
    notes(3)
    with append_only_suspended() as cursor:
        # The node over entries 5 and 6 (leaves 4 and 5): part of the tree at size 6.
        cursor.execute('UPDATE ledger_tree_node SET hash = %s WHERE level = 1 AND "index" = 2', [bytes(32)])
    with pytest.raises(CheckpointRefused, match="does not extend checkpoint 6"):
        checkpoint_sign()
    assert list(SignedCheckpoint.objects.values_list("size", flat=True)) == [6]


def test_it_refuses_to_sign_a_ledger_shorter_than_the_last_checkpoint(db):
    notes(5)
    checkpoint_sign()
    LedgerHead.objects.update(seq=4)
    with pytest.raises(CheckpointRefused, match="4 entries, fewer than the 5"):
        checkpoint_sign()


def test_without_its_state_it_refuses_when_the_last_checkpoints_row_disagrees_with_its_note(db, signer_state):
    notes(2)
    checkpoint_sign()
    notes(1)
    signer_state.unlink()  # a deployment from before the signer kept its state
    with append_only_suspended() as cursor:
        cursor.execute("UPDATE ledger_checkpoint SET root = %s", [bytes(32)])
    with pytest.raises(CheckpointRefused, match="its note and its row disagree"):
        checkpoint_sign()


def test_one_size_can_never_get_a_second_root(db):
    notes(2)
    signed = checkpoint_sign()
    with pytest.raises(IntegrityError), transaction.atomic():
        SignedCheckpoint.objects.create(size=2, root=bytes(32), note="another root\n")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE ledger_checkpoint SET root = %s, note = 'x' WHERE size = 2", [bytes(32)])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM ledger_checkpoint")
    assert SignedCheckpoint.objects.get().note == signed.note


def test_beat_runs_the_task_every_few_seconds():
    entry = django_settings.CELERY_BEAT_SCHEDULE["ledger-checkpoint"]
    assert entry["task"] == tasks.checkpoint_sign.name == "ledger.tasks.checkpoint_sign"
    assert 1 <= entry["schedule"] <= 60


def test_in_development_a_key_is_generated_once_outside_git(settings, tmp_path, caplog):
    settings.LEDGER_SIGNING_KEY = None
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    with caplog.at_level(logging.WARNING, logger="ledger.checkpoints"):
        name, first = signing_key()
    assert "generated a development checkpoint signing key" in caplog.text
    key_file = tmp_path / "ledger-signing-key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert key_file.read_text().startswith("PRIVATE+KEY+remelt.example/ledger+")
    caplog.clear()
    assert signing_key()[1].private_bytes_raw() == first.private_bytes_raw()
    assert caplog.text == ""
    assert name == "remelt.example/ledger"
    assert "var/" in (REPO / ".gitignore").read_text().split()  # the default VAR_DIR


def test_without_debug_there_is_no_generated_key(settings, tmp_path):
    settings.LEDGER_SIGNING_KEY = None
    settings.DEBUG = False
    settings.VAR_DIR = tmp_path
    with pytest.raises(ImproperlyConfigured, match="LEDGER_SIGNING_KEY must be set"):
        signing_key()
    assert not (tmp_path / "ledger-signing-key").exists()


def test_a_bad_signing_key_stops_the_start_naming_the_variable():
    env = {**os.environ, "LEDGER_SIGNING_KEY": "PRIVATE+KEY+remelt+00000000+AQAB"}
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "LEDGER_SIGNING_KEY cannot be read: bad key" in result.stderr
    assert "AQAB" not in result.stderr.splitlines()[-1]


def test_the_readme_example_is_the_golden_entry_signed_with_the_test_key():
    readme = (REPO / "README.md").read_text()
    golden = bytes.fromhex("bd569fdc0f9a4023fda4f129fb0b9adc5163ec3c07c74f6e8206fcc074f10a51")
    checkpoint = Checkpoint("remelt.example/ledger", 1, merkle.root_from_leaves([golden]))
    note = sign_note(format_checkpoint(checkpoint), *parse_signer_key(TEST_SIGNING_KEY))
    assert f"```\n{note}```" in readme
    assert TEST_VERIFIER_KEY in readme
