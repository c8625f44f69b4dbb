#!/usr/bin/env python3
"""The README's two commands: `python3 dev.py demo` and `python3 dev.py test`.

`python3 dev.py stack` runs the production processes of docker-compose.yml (migrations once,
gunicorn, a Celery worker, Celery beat) without Docker, against the PostgreSQL and Redis
named by DATABASE_URL and CELERY_BROKER_URL.

Needs only Python 3.11+: it makes a virtual environment in .venv, installs what the command
needs (the demo and the stack remelt's runtime dependencies, the tests remelt with its test
tools; again only when pyproject.toml changed), and then runs the demo or the tests.
"""

import hashlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
# What is installed, and for which pyproject.toml: one stamp per extra, so the demo never
# pulls in the test tools and the tests install them on top of what the demo put there.
STAMPS = {"runtime": VENV / ".remelt-runtime", "dev": VENV / ".remelt-dev"}
HOST, PORT = "127.0.0.1", os.environ.get("PORT", "8000")


def ensure_environment(extra: str) -> None:
    """Install remelt into .venv: `runtime` (its dependencies only) or `dev` (with the test tools)."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    enough = ("runtime", "dev") if extra == "runtime" else ("dev",)  # dev includes the runtime
    if PYTHON.exists() and any(_stamped(STAMPS[name], wanted) for name in enough):
        return
    started = time.monotonic()
    if not PYTHON.exists():
        print("creating .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    what = "remelt and its test tools" if extra == "dev" else "remelt's runtime dependencies"
    print(f"installing {what} into .venv (pip's progress below) …", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check"]
    subprocess.run([*pip, "--quiet", "--upgrade", "pip"], check=True)
    target = f"{ROOT}[dev]" if extra == "dev" else str(ROOT)
    subprocess.run([*pip, "--progress-bar", "off", "-e", target], check=True)
    STAMPS[extra].write_text(wanted)
    print(f"installed in {time.monotonic() - started:.0f} s", flush=True)


def _stamped(stamp: Path, wanted: str) -> bool:
    return stamp.exists() and stamp.read_text() == wanted


def manage(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(PYTHON), str(ROOT / "manage.py"), *args], check=True, cwd=ROOT, env=env)


def demo() -> int:
    base = f"http://{HOST}:{PORT}"
    manage("migrate", "--no-input", "-v", "0")
    witness = demo_witness()
    try:
        manage("load_demo", "--base-url", base)
        print(
            f"\nremelt is running on {base}/ — open the passport and auditor URLs above.\n"
            "Stop it with Ctrl-C; run `python3 dev.py demo` again to come back to the same data.\n",
            flush=True,
        )
        # runserver prints each request with its status: a 4xx needs no warning beside it.
        quiet = {**os.environ, "REQUEST_LOG_LEVEL": os.environ.get("REQUEST_LOG_LEVEL", "ERROR")}
        manage("runserver", f"{HOST}:{PORT}", "--noreload", env=quiet)
    finally:
        witness.terminate()
        witness.wait(timeout=10)
    return 0


def demo_witness() -> subprocess.Popen:
    """Start the auditor's witness (its own process, key and state under var/) on PORT + 1 and
    configure it for the demo's processes, so every checkpoint they sign gets its cosignature."""
    listen = f"{HOST}:{int(PORT) + 1}"
    command = [str(PYTHON), str(ROOT / "manage.py"), "run_witness"]
    key = subprocess.run([*command, "--print-key"], check=True, cwd=ROOT, capture_output=True, text=True)
    os.environ["LEDGER_WITNESSES"] = f"http://{listen}/ {key.stdout.strip()}"
    process = subprocess.Popen([*command, "--listen", listen], cwd=ROOT)
    deadline = time.monotonic() + 30
    while True:  # ready once it accepts connections
        try:
            socket.create_connection((HOST, int(PORT) + 1), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the demo's witness did not start on {listen}") from None
            time.sleep(0.2)
    print(f"witness (the auditor's): {key.stdout.strip()} on http://{listen}/", flush=True)
    return process


def stack() -> int:
    # Read config/stack.py as a file: importing the config package would need Celery here.
    spec = importlib.util.spec_from_file_location("remelt_stack", ROOT / "config" / "stack.py")
    processes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(processes)
    MIGRATE, PROCESSES = processes.MIGRATE, processes.PROCESSES  # noqa: N806 - constants of config/stack.py

    missing = [name for name in ("DATABASE_URL", "CELERY_BROKER_URL") if not os.environ.get(name)]
    if missing:
        print(
            f"dev.py stack runs against a real database and broker: set {' and '.join(missing)}",
            file=sys.stderr,
        )
        return 2
    env = {**os.environ, "BIND": os.environ.get("BIND", f"{HOST}:{PORT}")}

    def local(command: list[str]) -> list[str]:
        return [str(VENV / "bin" / command[0]), *command[1:]]

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # a supervisor's stop ends the children too
    subprocess.run(local(MIGRATE), cwd=ROOT, env=env, check=True)
    running = {
        name: subprocess.Popen(local(command), cwd=ROOT, env=env) for name, command in PROCESSES.items()
    }
    print(f"stack running: {', '.join(running)} (web on http://{env['BIND']}/); Ctrl-C stops it", flush=True)
    try:
        while all(process.poll() is None for process in running.values()):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    for process in running.values():
        process.terminate()
    for process in running.values():
        process.wait(timeout=30)
    return 0


def test(args: list[str]) -> int:
    return subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=ROOT, check=False).returncode


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test", "stack"}:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ensure_environment("dev" if sys.argv[1] == "test" else "runtime")
    try:
        if sys.argv[1] == "stack":
            return stack()
        return demo() if sys.argv[1] == "demo" else test(sys.argv[2:])
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
