"""The verifier package (`verifier/`): Django-free, built and installed as an outsider would.

An auditor without our repository builds (or downloads) the `remelt-verify` wheel, installs it
with pip into a fresh virtual environment (bringing `rfc8785` and `cryptography`, nothing of
Django) and runs it on a demo wheel's evidence bundle.
"""

import ast
import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from ledger.models import Lot
from ledger.visibility import Viewer
from passports.demo import SMALL, demo_load
from passports.evidence import evidence_bundle
from passports.services import rollup_run

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "verifier" / "remelt_verify"
ALLOWED = {"rfc8785", "cryptography", "remelt_verify"}


def _imports(path: Path) -> set[str]:
    """Top-level names of every module that `path` imports, at any depth of the code."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_package_imports_only_the_standard_library_rfc8785_and_cryptography():
    modules = sorted(PACKAGE.glob("*.py"))
    assert {path.stem for path in modules} >= {"chain", "merkle", "notes", "carbon", "bundle", "cli"}
    for path in modules:
        outside = {name for name in _imports(path) if name not in sys.stdlib_module_names} - ALLOWED
        assert not outside, f"{path.name} imports {outside}"


def _run(*command, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The `remelt-verify` command of a fresh venv, outside the repository, from a wheel built here."""
    place = tmp_path_factory.mktemp("outsider")
    # Built from a copy, as from a fresh checkout: nothing is written into the repository.
    source = shutil.copytree(
        REPO / "verifier",
        place / "source",
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"),
    )
    built = _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "-q",
        "-w",
        place / "dist",
        source,
        cwd=place,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (place / "dist").glob("remelt_verify-*.whl")
    venv.create(place / "venv", with_pip=True)
    python = place / "venv" / "bin" / "python"
    installed = _run(python, "-m", "pip", "install", "-q", wheel, cwd=place)
    assert installed.returncode == 0, installed.stderr
    listed = _run(python, "-m", "pip", "list", "--format=json", cwd=place)
    names = {package["name"].lower() for package in json.loads(listed.stdout)}
    assert {"remelt-verify", "rfc8785", "cryptography"} <= names
    assert not any(name.startswith("django") for name in names)
    return place / "venv" / "bin" / "remelt-verify"


def test_the_installed_verifier_checks_a_demo_wheels_public_bundle(
    db, client, ledger_signing_key, installed, tmp_path
):
    demo_load(scale=SMALL)
    rollup_run()
    wheel = Lot.objects.filter(kind="part").order_by("code").last()
    key = tmp_path / "ledger.key"
    key.write_text(client.get("/api/v1/ledger/key/").content.decode())  # published, no login

    # The public bundle beside the passport page, fetched without credentials.
    response = client.get(f"/passports/{wheel.code}/proof.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    public = response.json()
    path = tmp_path / f"{wheel.code}-proof.json"
    path.write_bytes(response.content)
    run = _run(installed, path, "--key", key, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith(f"OK {wheel.code}: footprint v"), run.stdout

    total = public["footprint"]["total_kg_co2e"]
    public["footprint"]["total_kg_co2e"] = total[:-1] + str((int(total[-1]) + 1) % 10)  # one digit off
    path.write_text(json.dumps(public))
    run = _run(installed, path, "--key", key, cwd=tmp_path)
    assert run.returncode == 1
    assert run.stdout.startswith("FAIL") and "the footprint was changed" in run.stdout, run.stdout

    # And an auditor's evidence bundle of the same wheel, whose footprint it recomputes.
    bundle = evidence_bundle(lot=wheel, viewer=Viewer(organisation_id=None, sees_everything=True))
    path = tmp_path / f"{wheel.code}-evidence.json"
    path.write_text(json.dumps(bundle))
    run = _run(installed, path, "--key", key, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith(f"OK {wheel.code}:") and "recomputed" in run.stdout, run.stdout
