"""The offline verifier: an export verifies, and any single changed byte fails at its entry."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from remelt_verify.chain import ChainVerifier, verify_export_lines

from ledger.selectors import chain_export
from tests.factories import notes

REPO = Path(__file__).resolve().parents[2]

json_scalars = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
payloads = st.dictionaries(st.text(max_size=8), json_values, max_size=4)


def _verify(data: bytes):
    verifier = ChainVerifier()
    problem = verify_export_lines(iter(data.splitlines(keepends=True)), verifier)
    return verifier, problem


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(payloads, min_size=1, max_size=4), data=st.data())
def test_export_verifies_and_any_changed_byte_fails_at_its_entry(db, entries, data):
    with transaction.atomic():  # each example starts from an empty ledger
        notes(len(entries), payload=lambda i: entries[i])
        out = io.BytesIO()
        chain_export(out=out)
        transaction.set_rollback(True)
    export = out.getvalue()

    verifier, problem = _verify(export)
    assert problem is None and verifier.count == len(entries)

    position = data.draw(st.integers(0, len(export) - 1), label="byte")
    replacement = data.draw(st.integers(0, 255).filter(lambda b: b != export[position]), label="value")
    changed = export[:position] + bytes([replacement]) + export[position + 1 :]
    line_of_byte = export[:position].count(b"\n") + 1

    _, problem = _verify(changed)
    assert problem is not None, "a changed byte went unnoticed"
    assert problem.seq == line_of_byte, problem


def test_offline_verifier_runs_without_django(db, tmp_path):
    notes(3)
    export = tmp_path / "ledger.jsonl"
    call_command("export_ledger", "--output", str(export), stderr=io.StringIO())
    script = (
        "import sys, runpy; sys.argv = ['remelt-verify', sys.argv[1]];"
        "sys.modules['django'] = None;"  # any import of Django now raises ImportError
        "runpy.run_module('remelt_verify', run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(export)], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK 3 entries, head ")


def test_an_interrupted_export_leaves_no_file(db, tmp_path, monkeypatch):
    from ledger.management.commands import export_ledger

    notes(3)
    target = tmp_path / "chain.jsonl"

    def interrupted(*, out, progress=None):
        out.write(b'{"partial": true}\n')
        raise KeyboardInterrupt

    monkeypatch.setattr(export_ledger, "chain_export", interrupted)
    with pytest.raises(KeyboardInterrupt):
        call_command("export_ledger", "--output", str(target))
    assert list(tmp_path.iterdir()) == []  # neither a truncated chain.jsonl nor a .partial file
    monkeypatch.undo()
    err = io.StringIO()
    call_command("export_ledger", "--output", str(target), stderr=err)
    assert target.read_bytes().count(b"\n") == 3 and "exported 3 entries" in err.getvalue()
