"""`python3 dev.py demo` runs the auditor's witness and prints its key (issue #14)."""

import importlib.util
import os
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_demo_starts_the_auditors_witness_and_prints_its_key(tmp_path, monkeypatch, capsys):
    witness_port = _free_port()
    monkeypatch.setenv("PORT", str(witness_port - 1))  # the demo's witness listens on PORT + 1
    monkeypatch.setenv("REMELT_VAR_DIR", str(tmp_path))  # its key and state, not the demo's var/
    monkeypatch.setenv("LEDGER_WITNESSES", "")  # demo_witness sets it; restored after the test
    spec = importlib.util.spec_from_file_location("remelt_dev", ROOT / "dev.py")
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)

    process = dev.demo_witness()
    try:
        (line,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("witness")]
        assert line.startswith("witness (the auditor's): witness.veritas.example+"), line
        key = line.removeprefix("witness (the auditor's): ").split(" on ")[0]
        assert line.endswith(f" on http://127.0.0.1:{witness_port}/")
        # The key printed is the witness's own (as its command gives it) and the one configured.
        printed = subprocess.run(
            [str(dev.PYTHON), str(ROOT / "manage.py"), "run_witness", "--print-key"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        assert printed.stdout.strip() == key
        assert os.environ["LEDGER_WITNESSES"] == f"http://127.0.0.1:{witness_port}/ {key}"
        socket.create_connection(("127.0.0.1", witness_port), timeout=5).close()
    finally:
        process.terminate()
        process.wait(timeout=30)
