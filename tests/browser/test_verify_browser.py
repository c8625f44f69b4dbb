"""The passport page's "Verify" button in Chromium: the public bundle verifies in the browser
(SHA-256 and Ed25519 through WebCrypto, RFC 8785 in JS) and the page says what it checked; a
tampered bundle fails with the reason; for the test loop's wheel and a demo wheel. Screenshots go to
tests/artifacts/."""

import json

import pytest
from playwright.sync_api import Route, sync_playwright

from ledger.checkpoints import checkpoint_sign
from ledger.models import Lot
from passports.demo import SMALL, demo_load
from passports.services import rollup_run
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.test_passport_browser import TIMEOUT_MS, _watch
from tests.passports.test_passport_page import WHEEL, record_wheel_history
from tests.support import witness_running


@pytest.mark.django_db(transaction=True)
def test_the_verify_button_checks_the_public_bundle(
    live_server, cast, settings, ledger_signing_key, tmp_path, chromium_executable, artifacts
):
    with witness_running(tmp_path / "witness.json", settings):
        record_wheel_history(cast)
        checkpoint_sign()  # the witness cosigns it once it commits
        _verify_in_chromium(
            live_server, f"/passports/{WHEEL}/", chromium_executable, artifacts, "passport-verify"
        )


@pytest.mark.django_db(transaction=True)
def test_a_demo_wheels_public_bundle_verifies_in_the_browser(
    live_server, settings, ledger_signing_key, tmp_path, chromium_executable, artifacts
):
    with witness_running(tmp_path / "witness.json", settings):
        demo_load(scale=SMALL)
        rollup_run()
        wheel = Lot.objects.filter(kind="part").order_by("code").last()
        checkpoint_sign()
        _verify_in_chromium(
            live_server, f"/passports/{wheel.code}/", chromium_executable, artifacts, "demo-passport-verify"
        )


def _verify_in_chromium(live_server, page_path: str, chromium_executable: str, artifacts, name: str) -> None:
    """Nobody signed in: the Verify button checks the public bundle and says so; the same page
    served a bundle one digit off says what failed."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            problems = _watch(page)
            page.goto(live_server.url + page_path)  # nobody signed in: the public page
            page.click("#verify-button")
            page.wait_for_selector("#public-proof[data-verified]", timeout=TIMEOUT_MS)
            result = page.locator("#verify-result").inner_text()
            assert page.get_attribute("#public-proof", "data-verified") == "ok", result
            assert result.startswith("Verified.")
            for said in (
                "hashes to its digest",
                "footprint.computed",
                "footprints that entry #",
                "signed by remelt.example/ledger (Ed25519) and cosigned by witness.veritas.example",
                "is in that signed checkpoint",
            ):
                assert said in result, result
            page.locator("#public-proof").screenshot(path=str(artifacts / f"{name}.png"))

            # The same page, served a bundle whose footprint is one digit off.
            def tampered(route: Route) -> None:
                bundle = json.loads(route.fetch().text())
                total = bundle["footprint"]["total_kg_co2e"]
                bundle["footprint"]["total_kg_co2e"] = total[:-1] + str((int(total[-1]) + 1) % 10)
                route.fulfill(status=200, content_type="application/json", body=json.dumps(bundle))

            page.route("**/proof.json", tampered)
            page.reload()
            page.click("#verify-button")
            page.wait_for_selector("#public-proof[data-verified]", timeout=TIMEOUT_MS)
            result = page.locator("#verify-result").inner_text()
            assert page.get_attribute("#public-proof", "data-verified") == "failed"
            assert result.startswith("Verification failed:") and "it was changed" in result, result
            page.locator("#public-proof").screenshot(path=str(artifacts / f"{name}-tampered.png"))
            assert problems == []
        finally:
            browser.close()
