"""The production stack: docker-compose.yml runs the project's real entry points, and the
production settings pass Django's deployment checks."""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

from config import stack

REPO = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_has_the_whole_stack_with_healthchecks_and_volumes():
    services = COMPOSE["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat"}
    for name in ("db", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert {"pgdata", "redisdata", "remelt-var", "signer-state"} <= set(COMPOSE["volumes"])
    for name in ("migrate", "web", "worker", "beat"):
        assert services[name]["env_file"] == ".env"
        assert "remelt-var:/srv/remelt/var" in services[name]["volumes"]
        # Every process that may sign a checkpoint shares the signer's memory.
        assert "signer-state:/srv/remelt/signer" in services[name]["volumes"]
        assert services[name]["environment"]["LEDGER_SIGNER_STATE"] == "/srv/remelt/signer/state.json"
    # Migrations run once, before anything that uses the database starts.
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_compose_runs_the_processes_the_project_names(name):
    assert COMPOSE["services"][name]["command"] == stack.PROCESSES[name]
    assert COMPOSE["services"]["migrate"]["command"] == stack.MIGRATE


def _resolves(command: list[str]) -> bool:
    program, *args = command
    if program == "python" and args[0] == "manage.py":
        return (REPO / "manage.py").exists() and args[1] in get_commands()
    if program == "gunicorn":
        module, _, attribute = args[0].partition(":")
        config_module = args[args.index("--config") + 1].removeprefix("python:")
        return hasattr(importlib.import_module(module), attribute) and bool(
            importlib.import_module(config_module)
        )
    if program == "celery":
        app = importlib.import_module(args[args.index("-A") + 1]).celery_app
        return args[args.index("-A") + 2] in ("worker", "beat") and app.main == "remelt"
    return False


@pytest.mark.parametrize(
    "command", [stack.MIGRATE, *stack.PROCESSES.values()], ids=["migrate", *stack.PROCESSES]
)
def test_every_command_names_a_real_entry_point(command):
    assert _resolves(command)


def test_the_image_starts_the_web_process():
    dockerfile = (REPO / "Dockerfile").read_text()
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    assert json.loads(cmd.removeprefix("CMD ")) == stack.WEB
    for app in ("config", "accounts", "ledger", "passports", "verifier", "witness"):
        assert f"COPY {app} ./{app}" in dockerfile


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "CELERY_BROKER_URL"}
    }
    env.update(
        DEBUG="false",
        SECRET_KEY="k" * 20 + "production-secret-for-the-deploy-check-0123456789",
        ALLOWED_HOSTS="remelt.example.com",
        CSRF_TRUSTED_ORIGINS="https://remelt.example.com",
        REMELT_VAR_DIR=str(tmp_path),
        LEDGER_SIGNING_KEY="",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
