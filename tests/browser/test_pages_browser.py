"""The pages in a real browser: the home page, an auditor's lot page, and the auditor's passport
printed to A4 (Chromium's own PDF): compact, every page carrying the serial, the issuer, the
print date and its number. Screenshots (and the PDF's pages as PNGs, with poppler's pdftoppm
where it is installed, as .ci/run does) go to tests/artifacts/.
"""

import shutil
import subprocess
from io import BytesIO

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import sync_playwright
from pypdf import PdfReader

from accounts.services import user_create
from passports.services import rollup_run
from tests.browser.conftest import CHROMIUM_ARGS
from tests.passports.test_passport_page import WHEEL, record_wheel_history

PASSWORD = "carol-audits-wheels"
TIMEOUT_MS = 20_000


@pytest.mark.django_db(transaction=True)
def test_home_audit_lot_and_printed_passport(live_server, cast, chromium_executable, artifacts):
    record_wheel_history(cast)
    rollup_run()
    user_create(username="carol", organisation=cast["certa"], password=PASSWORD)
    user_create(username="dana", organisation=cast["autofab"], password=PASSWORD)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            holder = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            holder.set_default_timeout(TIMEOUT_MS)
            holder.goto(f"{live_server.url}/accounts/login/?next=/")
            holder.fill("#id_username", "dana")
            holder.fill("#id_password", PASSWORD)
            holder.click("form.login button[type=submit]")
            holder.wait_for_url(f"{live_server.url}/")
            assert holder.locator("h2", has_text="What Autofab holds").is_visible()
            holder.screenshot(path=str(artifacts / "home.png"), full_page=True)

            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{live_server.url}/accounts/login/?next=/audit/lots/HEAT-ALU-1/")
            page.fill("#id_username", "carol")
            page.fill("#id_password", PASSWORD)
            page.click("form.login button[type=submit]")
            page.wait_for_url(f"{live_server.url}/audit/lots/HEAT-ALU-1/")
            page.screenshot(path=str(artifacts / "audit-lot.png"), full_page=True)

            page.goto(f"{live_server.url}/passports/{WHEEL}/")
            page.wait_for_selector("#flow-chart.is-drawn")
            pdf = page.pdf(format="A4", print_background=True)
        finally:
            browser.close()

    (artifacts / "passport-print.pdf").write_bytes(pdf)
    pages = [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]
    # Compact: the auditor's passport (figures, material flow, ledger proof) on three pages at
    # most, and the footprint with the recycled content together on the first.
    assert len(pages) <= 3, len(pages)
    assert "Footprint by stage" in pages[0] and "Recycled content" in pages[0]
    printed_on = timezone.now().strftime("%Y-%m-%d")
    for number, text in enumerate(pages, start=1):
        assert f"Material passport {WHEEL}" in text
        assert f"issued by {settings.LEDGER_ORIGIN}" in text
        assert f"Printed {printed_on}" in text
        assert f"Page {number} of {len(pages)}" in text
    assert "Lot mass (kg)" in "".join(pages) and "Ledger proof" in "".join(pages)  # flow and proof

    if pdftoppm := shutil.which("pdftoppm"):
        subprocess.run(
            [
                pdftoppm,
                "-r",
                "70",
                "-png",
                str(artifacts / "passport-print.pdf"),
                str(artifacts / "passport-print"),
            ],
            check=True,
        )
        assert (artifacts / "passport-print-1.png").exists()
