"""Schemathesis, with every check, against the live schema: its command line runs all its
phases (the schema's examples, coverage of each parameter's edges, generated valid and
invalid requests, and stateful sequences that follow the schema's links) against a live
server holding the loop, as a member of it, and finds nothing.

Every check is on (`--checks all`). One of them, `positive_data_acceptance`, runs as
tests/api/schemathesis_hooks.py says: a schema-valid request may still break one of the
material record's rules, which is a 400 problem naming the rule, never a shape error.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = 10  # per operation and phase: the run stays within a few minutes on CI
SEED = 20261202  # the same cases on every run; change it (or drop it) to explore others
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"  # the whole report, ignored by git


@pytest.mark.django_db(transaction=True)
def test_schemathesis_with_every_check_finds_nothing(
    live_server, loop, keys, settings, ledger_signing_key, tmp_path
):
    # Its authentication checks send wrong keys on purpose; the failure throttle would answer
    # them with 429s after the first 30 (tests/accounts/test_throttle.py tests it).
    settings.AUTH_FAILURES_PER_ADDRESS = settings.AUTH_FAILURES_PER_KEY = ""
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{live_server.url}/api/schema/",
        "--checks=all",
        "--exclude-checks=positive_data_acceptance",  # … run by positive_data_acceptance_but_rules
        f"--max-examples={EXAMPLES}",
        f"--seed={SEED}",
        "--request-timeout=30",
        "--no-color",
        f"--header=Authorization: Bearer {keys['wheelworks']}",
    ]
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
    }
    run = subprocess.run(  # noqa: S603 - our own venv's schemathesis, fixed arguments
        command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=1200, check=False
    )
    output = run.stdout + run.stderr
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "schemathesis.txt").write_text(output)
    assert run.returncode == 0, output[-20000:]
    assert "Tested: " in output and " 0 passed" not in output, output[-5000:]
