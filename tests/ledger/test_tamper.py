"""The tamper matrix: each change made behind the ledger's back is caught at the right seq,
by `verify_ledger` on the database and by the offline verifier on an export."""

import io
from contextlib import redirect_stdout

import pytest
from django.core.management import call_command
from remelt_verify import cli as offline
from remelt_verify.chain import seal

from ledger.models import Entry, LedgerHead
from tests.factories import notes
from tests.support import append_only_suspended


def run_verify_ledger(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_ledger", *args, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def run_offline(tmp_path, *args) -> tuple[int, str]:
    export = tmp_path / "ledger.jsonl"
    call_command("export_ledger", "--output", str(export), stderr=io.StringIO())
    out = io.StringIO()
    with redirect_stdout(out):
        code = offline.main([str(export), *args])
    return code, out.getvalue()


def change_payload_byte(cursor):
    payload = bytes(Entry.objects.get(seq=3).payload)
    assert b'"2.250"' in payload
    cursor.execute(
        "UPDATE ledger_entry SET payload = %s WHERE seq = 3", [payload.replace(b'"2.250"', b'"9.250"')]
    )


def delete_row(cursor):
    cursor.execute("DELETE FROM ledger_entry WHERE seq = 3")


def swap_rows(cursor):
    cursor.execute("UPDATE ledger_entry SET seq = 1000003 WHERE seq = 3")
    cursor.execute("UPDATE ledger_entry SET seq = 3 WHERE seq = 4")
    cursor.execute("UPDATE ledger_entry SET seq = 4 WHERE seq = 1000003")


def insert_forged_row(cursor):
    # The strongest form: the forged entry is itself well-formed and links to seq 2, and the
    # later rows are renumbered. The break shows where the old seq 3 no longer fits.
    second = Entry.objects.get(seq=2)
    cursor.execute("UPDATE ledger_entry SET seq = seq + 1000000 WHERE seq >= 3")
    cursor.execute("UPDATE ledger_entry SET seq = seq - 999999 WHERE seq > 1000000")
    forged = seal(
        seq=3,
        prev_hash=second.hash,
        type="test.note",
        org=None,
        actor="system",
        occurred_at=second.occurred_at,
        recorded_at=second.recorded_at,
        payload={"n": 99, "mass_kg": "0.001"},
    )
    cursor.execute(
        "INSERT INTO ledger_entry (seq, type, actor, occurred_at, recorded_at, prev_hash, hash,"
        " payload_sha256, header, payload) VALUES (3, 'test.note', 'system', %s, %s, %s, %s, %s, %s, %s)",
        [
            second.occurred_at,
            second.recorded_at,
            second.hash,
            forged.hash,
            forged.header["payload_sha256"],
            forged.header_bytes,
            forged.payload_bytes,
        ],
    )


@pytest.mark.parametrize(
    ("tamper", "bad_seq", "reason", "offline_reason"),
    [
        (change_payload_byte, 3, "payload digest", "payload digest"),
        (delete_row, 3, "gap", "gap"),
        # The export carries no row numbers: there, seq 4 arriving first looks like 3 is missing.
        (swap_rows, 3, "header", "gap"),
        (insert_forged_row, 4, "header", "order"),
    ],
)
def test_tampering_is_found_at_the_right_seq(db, tmp_path, tamper, bad_seq, reason, offline_reason):
    notes(5)
    assert run_verify_ledger()[0] == 0
    with append_only_suspended() as cursor:
        tamper(cursor)

    code, out = run_verify_ledger()
    assert code == 1
    assert out.startswith(f"FAIL seq {bad_seq}: {reason}:"), out

    code, out = run_offline(tmp_path)
    assert code == 1
    assert out.startswith(f"FAIL seq {bad_seq}: {offline_reason}:"), out


def test_truncated_tail_is_found_against_a_head_hash_kept_earlier(db, tmp_path):
    notes(5)
    kept_head = LedgerHead.objects.get().hash
    third = Entry.objects.get(seq=3)
    with append_only_suspended() as cursor:
        cursor.execute("DELETE FROM ledger_entry WHERE seq > 3")
    # Before the attacker fixes the head row, the head row itself gives them away.
    code, out = run_verify_ledger()
    assert (code, out.split(":")[0:2]) == (1, ["FAIL seq 4", " head"])
    LedgerHead.objects.update(seq=3, hash=third.hash)
    assert run_verify_ledger()[0] == 0

    code, out = run_verify_ledger("--head", kept_head)
    assert code == 1
    assert out.startswith("FAIL seq 4: truncated:"), out
    code, out = run_offline(tmp_path, "--head", kept_head)
    assert code == 1
    assert out.startswith("FAIL seq 4: truncated:"), out


def test_an_untouched_chain_verifies_both_ways_and_reaches_the_kept_head(db, tmp_path):
    notes(4)
    head = LedgerHead.objects.get().hash
    assert run_verify_ledger("--head", head) == (0, f"OK 4 entries, head {head}\n")
    assert run_offline(tmp_path, "--head", head) == (0, f"OK 4 entries, head {head}\n")


def test_an_empty_ledger_verifies(db, tmp_path):
    assert run_verify_ledger() == (0, "OK 0 entries, head " + "0" * 64 + "\n")
