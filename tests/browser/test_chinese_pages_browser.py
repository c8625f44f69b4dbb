"""The Chinese pages in a real browser (issue #20): the passport in Chinese, its bilingual print
(Chromium's own A4 PDF of `?lang=both`) and an auditor's lot page in Chinese, read by a browser
that asks for Chinese. Nothing logs an error and no text runs past the page's width; the
screenshots (and the print's pages as PNGs, with poppler's pdftoppm where it is installed, as
.ci/run does) go to tests/artifacts/, to be looked at: CJK renders as characters, not boxes.
"""

import shutil
import subprocess
import unicodedata
from io import BytesIO

import pytest
from playwright.sync_api import Page, sync_playwright
from pypdf import PdfReader

from accounts.services import user_create
from passports.services import rollup_run
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.test_passport_browser import _watch
from tests.passports.test_passport_page import WHEEL, record_wheel_history

PASSWORD = "carol-audits-wheels"
TIMEOUT_MS = 20_000
# The widest element's right edge past the viewport's: none runs past the page.
OVERFLOW = (
    "() => Math.max(...[...document.body.querySelectorAll('*')].map(e => e.getBoundingClientRect().right))"
)


def _fits(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.clientWidth")
    assert page.evaluate(OVERFLOW) <= width + 1, "something runs past the page's width"


@pytest.mark.django_db(transaction=True)
def test_the_chinese_passport_its_bilingual_print_and_the_chinese_lot_page(
    live_server, cast, chromium_executable, artifacts
):
    record_wheel_history(cast)
    rollup_run()
    user_create(username="carol", organisation=cast["certa"], password=PASSWORD)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(
                viewport={"width": 1280, "height": 900},
                locale="zh-CN",
                extra_http_headers={"Accept-Language": "zh-CN"},
            )
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            problems = _watch(page)

            page.goto(f"{live_server.url}/passports/{WHEEL}/")
            page.wait_for_selector("#stage-chart.is-drawn")
            assert page.locator("html").get_attribute("lang") == "zh-hans"
            assert "碳足迹" in page.locator("main").inner_text()
            _fits(page)
            page.screenshot(path=str(artifacts / "passport-zh-hans.png"), full_page=True)

            page.goto(f"{live_server.url}/accounts/login/?next=/audit/lots/HEAT-ALU-1/")
            page.fill("#id_username", "carol")
            page.fill("#id_password", PASSWORD)
            page.click("form.login button[type=submit]")
            page.wait_for_url(f"{live_server.url}/audit/lots/HEAT-ALU-1/")
            assert "向上追溯" in page.locator("main").inner_text()
            _fits(page)
            page.screenshot(path=str(artifacts / "audit-lot-zh-hans.png"), full_page=True)

            page.goto(f"{live_server.url}/passports/{WHEEL}/?lang=both")
            page.wait_for_selector("#flow-chart.is-drawn")
            _fits(page)
            page.screenshot(path=str(artifacts / "passport-both.png"), full_page=True)
            pdf = page.pdf(format="A4", print_background=True)
            assert not problems, problems
        finally:
            browser.close()

    (artifacts / "passport-print-both.pdf").write_bytes(pdf)
    # NFKC: the PDF's text layer names some CJK glyphs by their radicals' code points (⽅ for 方).
    text = unicodedata.normalize(
        "NFKC", "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    )
    assert "碳足迹" in text and "carbon footprint" in text.lower()  # both languages on the sheet
    if pdftoppm := shutil.which("pdftoppm"):
        target = str(artifacts / "passport-print-both")
        subprocess.run(
            [pdftoppm, "-r", "70", "-png", str(artifacts / "passport-print-both.pdf"), target], check=True
        )
        assert (artifacts / "passport-print-both-1.png").exists()
