"""`remelt-verify` on what a partner saves from the API: checkpoints, inclusion and
consistency proofs; without Django, and with the original export usage still working."""

import io
import json
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from django.core.management import call_command
from remelt_verify import cli as offline
from remelt_verify.notes import parse_signer_key, parse_verifier_key

from ledger.checkpoints import checkpoint_sign
from ledger.models import Entry
from tests.factories import notes
from tests.support import TEST_SIGNING_KEY, TEST_VERIFIER_KEY

REPO = Path(__file__).resolve().parents[2]
OTHER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"


@pytest.fixture(autouse=True)
def signing(settings):
    settings.LEDGER_SIGNING_KEY = TEST_SIGNING_KEY


@pytest.fixture
def saved(db, client, tmp_path):
    """A partner's folder: checkpoints 5 and 9, the key, and proofs fetched from the API."""

    def save(name: str, url: str, params: dict | None = None) -> Path:
        response = client.get(url, params or {})
        assert response.status_code == 200, response.content
        path = tmp_path / name
        path.write_bytes(response.content)
        return path

    notes(5)
    checkpoint_sign()
    save("old.note", "/api/v1/ledger/checkpoint/")
    notes(4)
    checkpoint_sign()
    save("new.note", "/api/v1/ledger/checkpoint/")
    save("key", "/api/v1/ledger/key/")
    save("inclusion.json", "/api/v1/ledger/proofs/inclusion/", {"seq": 3, "size": 9})
    save("consistency.json", "/api/v1/ledger/proofs/consistency/", {"from": 5, "to": 9})
    return tmp_path


def run(*args) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = offline.main([str(arg) for arg in args])
    return code, out.getvalue()


def edit_json(path: Path, change) -> Path:
    document = json.loads(path.read_bytes())
    change(document)
    edited = path.with_name("edited-" + path.name)
    edited.write_text(json.dumps(document))
    return edited


def test_a_checkpoint_verifies_with_the_key_string_or_its_file(saved):
    code, out = run("checkpoint", saved / "new.note", "--key", TEST_VERIFIER_KEY)
    assert (code, out.split(" root ")[0]) == (0, "OK checkpoint remelt.example/ledger size 9")
    assert run("checkpoint", saved / "new.note", "--key", saved / "key")[0] == 0
    assert (
        run("checkpoint", saved / "new.note", "--key", saved / "key", "--origin", "remelt.example/ledger")[0]
        == 0
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda note: note.replace("\n9\n", "\n10\n", 1), "bad signature"),
        (lambda note: note.replace("remelt.example/ledger\n", "other.example/log\n", 1), "bad signature"),
        (lambda note: note.split("\n\n")[0] + "\n", "malformed"),
    ],
)
def test_a_changed_checkpoint_fails(saved, change, reason):
    changed = saved / "changed.note"
    changed.write_text(change((saved / "new.note").read_text()))
    code, out = run("checkpoint", changed, "--key", TEST_VERIFIER_KEY)
    assert code == 1
    assert out.startswith(f"FAIL checkpoint {changed}: {reason}:"), out


def test_a_checkpoint_by_another_key_or_of_another_origin_fails(saved):
    code, out = run("checkpoint", saved / "new.note", "--key", OTHER_KEY)
    assert code == 1 and "unknown key" in out
    code, out = run("checkpoint", saved / "new.note", "--key", TEST_VERIFIER_KEY, "--origin", "x.example/log")
    assert code == 1 and "origin 'remelt.example/ledger', expected 'x.example/log'" in out


def test_an_inclusion_proof_verifies_against_the_signed_checkpoint(saved):
    entry_hash = Entry.objects.get(seq=3).hash
    args = ("inclusion", saved / "inclusion.json", "--checkpoint", saved / "new.note", "--key", saved / "key")
    code, out = run(*args, "--hash", entry_hash)
    assert (code, out) == (
        0,
        f"OK entry seq 3 (hash {entry_hash}) is in checkpoint remelt.example/ledger size 9\n",
    )

    code, out = run(*args, "--hash", Entry.objects.get(seq=4).hash)
    assert code == 1 and "not the entry hash" in out
    code, out = run(
        "inclusion", saved / "inclusion.json", "--checkpoint", saved / "old.note", "--key", saved / "key"
    )
    assert (code, out) == (1, "FAIL inclusion: the proof is for tree size 9, the checkpoint has size 5\n")


@pytest.mark.parametrize(
    "change",
    [
        lambda doc: doc.update(seq=4),
        lambda doc: doc.update(leaf_hash=Entry.objects.get(seq=4).hash),
        lambda doc: doc["proof"].reverse(),
        lambda doc: doc["proof"].pop(),
        lambda doc: doc["proof"].append(doc["proof"][0]),
    ],
)
def test_a_changed_inclusion_proof_fails(saved, change):
    edited = edit_json(saved / "inclusion.json", change)
    code, out = run("inclusion", edited, "--checkpoint", saved / "new.note", "--key", TEST_VERIFIER_KEY)
    assert code == 1 and out.startswith("FAIL inclusion: the proof does not show entry"), out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda doc: doc.update(proof="abc"), "proof is missing or not a list"),
        (lambda doc: doc["proof"].__setitem__(0, "XYZ"), "proof[0] is not a hash in lowercase hex"),
        (lambda doc: doc.update(leaf_hash=doc["leaf_hash"].upper()), "leaf_hash is not a hash"),
        (lambda doc: doc.pop("seq"), "seq is missing"),
        (lambda doc: doc.update(seq=True), "seq is missing or not a int"),
    ],
)
def test_a_malformed_proof_fails_saying_what_is_wrong(saved, change, message):
    edited = edit_json(saved / "inclusion.json", change)
    code, out = run("inclusion", edited, "--checkpoint", saved / "new.note", "--key", TEST_VERIFIER_KEY)
    assert code == 1 and out.startswith("FAIL malformed proof:") and message in out, out


def test_a_consistency_proof_shows_the_new_checkpoint_extends_the_kept_one(saved):
    base = ("consistency", "--key", saved / "key")
    code, out = run(
        *base, "--old", saved / "old.note", "--new", saved / "new.note", "--proof", saved / "consistency.json"
    )
    assert (code, out) == (0, "OK checkpoint remelt.example/ledger size 9 extends checkpoint size 5\n")

    code, out = run(*base, "--old", saved / "new.note", "--new", saved / "new.note")
    assert code == 0, out  # the same checkpoint extends itself, without a proof
    code, out = run(*base, "--old", saved / "old.note", "--new", saved / "new.note")
    assert (code, out.split(" (")[0]) == (1, "FAIL consistency: a proof")
    code, out = run(
        *base, "--old", saved / "new.note", "--new", saved / "old.note", "--proof", saved / "consistency.json"
    )
    assert code == 1 and "larger than the new one" in out
    edited = edit_json(saved / "consistency.json", lambda doc: doc["proof"].reverse())
    code, out = run(*base, "--old", saved / "old.note", "--new", saved / "new.note", "--proof", edited)
    assert (code, out) == (
        1,
        "FAIL consistency: checkpoint 9 does not extend checkpoint 5: "
        "the log was rewritten, or the proof is wrong\n",
    )


def test_the_verifier_needs_no_django(saved):
    script = (
        "import sys, runpy; sys.argv = ['remelt-verify', *sys.argv[1:]];"
        "sys.modules['django'] = None;"  # any import of Django now raises ImportError
        "runpy.run_module('remelt_verify', run_name='__main__')"
    )
    commands = [
        ["checkpoint", saved / "new.note", "--key", saved / "key"],
        ["inclusion", saved / "inclusion.json", "--checkpoint", saved / "new.note", "--key", saved / "key"],
        [
            "consistency",
            "--old",
            saved / "old.note",
            "--new",
            saved / "new.note",
            "--proof",
            saved / "consistency.json",
            "--key",
            saved / "key",
        ],
    ]
    export = saved / "ledger.jsonl"
    call_command("export_ledger", "--output", str(export), stderr=io.StringIO())
    commands += [[export], ["chain", export, "--head", Entry.objects.get(seq=9).hash]]
    for command in commands:
        result = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-c", script, *map(str, command)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, (command, result.stdout, result.stderr)
        assert result.stdout.startswith("OK "), result.stdout


def test_keygen_makes_a_signer_key_and_its_verifier_key():
    code, out = run("keygen", "remelt.example/ledger")
    assert code == 0
    verifier_line, signer_line = out.splitlines()
    verifier = verifier_line.removeprefix("OK verifier key ")
    signer = signer_line.removeprefix("LEDGER_SIGNING_KEY=")
    name, private_key = parse_signer_key(signer)
    assert name == "remelt.example/ledger"
    assert parse_verifier_key(verifier)[2].public_bytes_raw() == private_key.public_key().public_bytes_raw()
    assert run("keygen", "has space")[0] == 1


def test_a_missing_file_fails_cleanly(tmp_path):
    code, out = run("checkpoint", tmp_path / "nothing.note", "--key", TEST_VERIFIER_KEY)
    assert (code, out) == (1, f"FAIL {tmp_path / 'nothing.note'}: No such file or directory\n")


def test_verifying_an_export_still_needs_only_rfc8785(db, tmp_path):
    notes(2)
    export = tmp_path / "ledger.jsonl"
    call_command("export_ledger", "--output", str(export), stderr=io.StringIO())
    script = (
        "import sys, runpy; sys.argv = ['remelt-verify', sys.argv[1]];"
        "sys.modules['django'] = sys.modules['cryptography'] = None;"
        "runpy.run_module('remelt_verify', run_name='__main__')"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", script, str(export)], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK 2 entries, head ")
