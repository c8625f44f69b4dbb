#!/usr/bin/env python3
"""The README's two commands: `python3 dev.py demo` and `python3 dev.py test`.

Needs only Python 3.11+: it makes a virtual environment in .venv, installs remelt with its
test tools (again only when pyproject.toml changed), and then runs the demo or the tests.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".remelt-installed"
HOST, PORT = "127.0.0.1", os.environ.get("PORT", "8000")


def ensure_environment() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("creating .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    print("installing remelt and its tools into .venv …", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


def manage(*args: str) -> None:
    subprocess.run([str(PYTHON), str(ROOT / "manage.py"), *args], check=True, cwd=ROOT)


def demo() -> int:
    manage("migrate", "--no-input", "-v", "0")
    manage("load_demo")
    base = f"http://{HOST}:{PORT}"
    print(
        f"\nremelt is running on {base}/\n"
        f"  admin (staff):   {base}/admin/   login: staff / remelt-demo\n"
        f"  API docs:        {base}/api/docs/\n"
        f"  a wheel's passport (with the automaker's key from the list above):\n"
        f"    curl -H 'Authorization: Bearer <northstar-motors key>' {base}/api/v1/parts/<wheel>/passport/\n"
        f"  health:          {base}/healthz\n"
        "Stop it with Ctrl-C; run `python3 dev.py demo` again to come back to the same data.\n",
        flush=True,
    )
    manage("runserver", f"{HOST}:{PORT}", "--noreload")
    return 0


def test(args: list[str]) -> int:
    return subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=ROOT, check=False).returncode


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test"}:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ensure_environment()
    try:
        return demo() if sys.argv[1] == "demo" else test(sys.argv[2:])
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
