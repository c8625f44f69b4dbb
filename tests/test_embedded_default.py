"""The README's demo runs on the embedded default: migrations must apply to a new SQLite file."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_migrations_apply_to_a_new_embedded_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(REMELT_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "remelt.sqlite3").stat().st_size > 0
    # The factor sets are frozen again once the migrations are through (0004's triggers).
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
            "print(sorted(r[0] for r in c.execute(\"SELECT name FROM sqlite_master WHERE type='trigger'"
            " AND name LIKE 'passports_factor_frozen%'\")))",
            str(tmp_path / "remelt.sqlite3"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stdout.split() == [
        "['passports_factor_frozen_delete',",
        "'passports_factor_frozen_insert',",
        "'passports_factor_frozen_update']",
    ]
