"""Settings come from the environment; a bad value stops the start, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def load_settings(**env) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY"}
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.DEBUG)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=clean, capture_output=True, text=True, check=False
    )


def test_nothing_set_gives_the_embedded_default(tmp_path):
    result = load_settings(REMELT_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True", "True"]


def test_production_values_are_read(tmp_path):
    result = load_settings(
        DATABASE_URL="postgres://app@db.internal:5432/remelt",
        CELERY_BROKER_URL="redis://cache:6379/0",
        DEBUG="false",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="remelt.example",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "False", "False"]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "false"}, "SECRET_KEY"),
        ({"DATABASE_URL": "mysql://root@localhost/remelt"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"LEDGER_CLOCK_SKEW_SECONDS": "five"}, "LEDGER_CLOCK_SKEW_SECONDS"),
    ],
)
def test_bad_values_fail_naming_the_variable(tmp_path, env, named):
    result = load_settings(REMELT_VAR_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr.splitlines()[-1]
