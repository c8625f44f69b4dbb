"""The passport page in a real browser: the charts draw from the locally served plotly.js, the QR
code shows, nothing logs an error; a screenshot of the page goes to tests/artifacts/.

Playwright's sync API runs an event loop in this thread while it is open, and Django refuses
ORM calls from a thread with a running loop: the database is filled before the browser starts.
"""

import pytest
from playwright.sync_api import ConsoleMessage, Page, sync_playwright

from accounts.services import user_create
from tests.browser.conftest import CHROMIUM_ARGS
from tests.passports.test_passport_page import UPSTREAM_CODES, WHEEL, record_wheel_history

PASSWORD = "carol-audits-wheels"
TIMEOUT_MS = 20_000


def _watch(page: Page) -> list[str]:
    """Console errors and uncaught exceptions of the page, as they happen."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "response",
        lambda answer: answer.status >= 400 and problems.append(f"HTTP {answer.status}: {answer.url}"),
    )
    return problems


def _assert_charts_drawn(page: Page, *, flow: bool) -> None:
    page.wait_for_selector("#stage-chart.is-drawn.js-plotly-plot .barlayer .trace", timeout=TIMEOUT_MS)
    if flow:
        page.wait_for_selector("#flow-chart.is-drawn.js-plotly-plot .sankey .sankey-node", timeout=TIMEOUT_MS)
    assert page.locator("svg.qr-code").is_visible()
    box = page.locator("svg.qr-code").bounding_box()
    assert box and box["width"] >= 100 and box["height"] >= 100


@pytest.mark.django_db(transaction=True)
def test_the_passport_page_draws_its_charts_without(live_server, cast, chromium_executable, artifacts):
    record_wheel_history(cast)  # committed, so the roll-up runs (eagerly) after each event
    user_create(username="carol", organisation=cast["certa"], password=PASSWORD)
    page_path = f"/passports/{WHEEL}/"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
            page = context.new_page()
            problems = _watch(page)

            # The public view: the footprint chart and the QR code, nothing upstream.
            page.goto(live_server.url + page_path)
            _assert_charts_drawn(page, flow=False)
            assert page.locator("#flow-chart").count() == 0
            public = page.content()
            assert not [code for code in UPSTREAM_CODES if code in public]
            page.screenshot(path=str(artifacts / "passport-public.png"), full_page=True)

            # The auditor signs in through the login page and comes back to the passport.
            page.goto(f"{live_server.url}/accounts/login/?next={page_path}")
            page.fill("#id_username", "carol")
            page.fill("#id_password", PASSWORD)
            page.click("form.login button[type=submit]")
            page.wait_for_url(live_server.url + page_path, timeout=TIMEOUT_MS)
            _assert_charts_drawn(page, flow=True)
            assert page.locator(".verdict.ok").is_visible()
            assert page.locator("table.entries .status-ok").count() >= 6
            page.screenshot(path=str(artifacts / "passport.png"), full_page=True)
            page.locator("#flow-chart").screenshot(path=str(artifacts / "passport-flow.png"))

            assert problems == []
        finally:
            browser.close()
    assert (artifacts / "passport.png").stat().st_size > 50_000
