"""dev.py installs what each command needs: the demo remelt's runtime dependencies only, the
tests remelt with its test tools, each again only when pyproject.toml changes. pip and venv are
recorded, not run (a real install is the README's measured first run)."""

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def dev(tmp_path, monkeypatch):
    """dev.py as a module, with its .venv in tmp_path and pip's calls recorded in `dev.installed`."""
    spec = importlib.util.spec_from_file_location("remelt_dev_script", REPO / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    venv_dir = tmp_path / ".venv"
    monkeypatch.setattr(module, "VENV", venv_dir)
    monkeypatch.setattr(module, "PYTHON", venv_dir / "bin" / "python")
    monkeypatch.setattr(
        module, "STAMPS", {"runtime": venv_dir / ".remelt-runtime", "dev": venv_dir / ".remelt-dev"}
    )
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text((REPO / "pyproject.toml").read_text())
    monkeypatch.setattr(module, "ROOT", tmp_path)

    def create(path, with_pip):
        (Path(path) / "bin").mkdir(parents=True)
        (Path(path) / "bin" / "python").touch()

    module.installed = []

    def run(command, check):
        assert check
        if command[-2:] != ["--upgrade", "pip"]:
            module.installed.append(command[-1])

    monkeypatch.setattr(module.venv, "create", create)
    monkeypatch.setattr(module.subprocess, "run", run)
    return module


def test_the_demo_installs_only_the_runtime_dependencies(dev, tmp_path):
    dev.ensure_environment("runtime")
    assert dev.installed == [str(tmp_path)]  # remelt itself, no [dev] extra
    dev.ensure_environment("runtime")
    assert dev.installed == [str(tmp_path)]  # installed once


def test_the_tests_install_their_tools_on_top_and_the_demo_then_needs_nothing(dev, tmp_path):
    dev.ensure_environment("runtime")
    dev.ensure_environment("dev")
    assert dev.installed == [str(tmp_path), f"{tmp_path}[dev]"]
    dev.ensure_environment("dev")
    dev.ensure_environment("runtime")  # the test tools' install holds the runtime too
    assert dev.installed == [str(tmp_path), f"{tmp_path}[dev]"]


def test_a_changed_pyproject_installs_again(dev, tmp_path):
    dev.ensure_environment("dev")
    (tmp_path / "pyproject.toml").write_text((tmp_path / "pyproject.toml").read_text() + "\n# changed\n")
    dev.ensure_environment("runtime")
    dev.ensure_environment("dev")
    assert dev.installed == [f"{tmp_path}[dev]", str(tmp_path), f"{tmp_path}[dev]"]


def test_the_runtime_dependencies_hold_no_test_tool():
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = {line.split("==")[0].split("[")[0].lower() for line in project["dependencies"]}
    tools = {line.split("==")[0].lower() for line in project["optional-dependencies"]["dev"]}
    assert "playwright" in tools and "pytest" in tools
    assert not runtime & tools


def test_the_demo_server_logs_a_4xx_once_in_its_access_line(dev, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(dev, "manage", lambda *args, env=None: calls.append((args, env)))

    class Witness:
        def terminate(self):
            pass

        def wait(self, timeout):
            pass

    monkeypatch.setattr(dev, "demo_witness", Witness)
    monkeypatch.delenv("REQUEST_LOG_LEVEL", raising=False)
    assert dev.demo() == 0
    [served] = [env for args, env in calls if args[0] == "runserver"]
    assert served["REQUEST_LOG_LEVEL"] == "ERROR"  # django.request's 4xx warnings left out
    assert [env for args, env in calls if args[0] != "runserver"] == [None, None]  # migrate, load_demo
