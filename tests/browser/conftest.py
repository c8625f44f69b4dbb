"""Headless Chromium for the browser tests: Debian's `chromium`, driven by Playwright.

Playwright's own browser downloads are not used: CI installs Debian's package (`.ci/run`) and
the tests launch it by path. Without it the tests skip, saying why; on CI they fail instead.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"  # tests/artifacts/, ignored by git
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium_executable() -> str:
    """The path of Debian's Chromium; skip without it, except on CI where it must be there."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI: {reason}")
        pytest.skip(reason)
    return str(CHROMIUM)


@pytest.fixture
def artifacts() -> Path:
    """Where the browser tests write their screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
