"""In a real browser: the sign-in page once failed sign-ins are throttled (429, the reason in
the form), and the admin's checkpoint list while the signer refuses to sign; screenshots go to
tests/artifacts/.

The database is filled before the browser starts (Django refuses ORM calls from a thread with
Playwright's running event loop)."""

import pytest
from django.test import override_settings
from playwright.sync_api import sync_playwright

from accounts.services import user_create
from ledger.checkpoints import CheckpointRefused, checkpoint_sign
from ledger.models import LedgerHead
from tests.browser.conftest import CHROMIUM_ARGS
from tests.factories import notes

PASSWORD = "ops-runs-the-ledger"


@pytest.mark.django_db(transaction=True)
@override_settings(LOGIN_FAILURES_PER_USERNAME="2/10m")
def test_a_throttled_sign_in_and_a_refusing_signer_are_plain_to_see(
    live_server, cast, chromium_executable, artifacts, ledger_signing_key
):
    ops = user_create(username="ops", organisation=cast["remelt-ops"], password=PASSWORD, is_staff=True)
    ops.is_superuser = True
    ops.save(update_fields=["is_superuser"])
    notes(3)
    checkpoint_sign()
    LedgerHead.objects.update(seq=2)
    with pytest.raises(CheckpointRefused):
        checkpoint_sign()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_context(viewport={"width": 1100, "height": 700}).new_page()
            page.goto(f"{live_server.url}/admin/login/")
            page.fill("#id_username", "ops")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.goto(f"{live_server.url}/admin/ledger/signedcheckpoint/")
            message = page.locator("ul.messagelist li.error").inner_text()
            assert message.startswith("Checkpoint signer: refused since") and "fewer than the 3" in message
            page.screenshot(path=str(artifacts / "admin-signer-refused.png"), full_page=True)

            page = browser.new_context(viewport={"width": 1100, "height": 700}).new_page()
            for password in ("wrong-1", "wrong-2", PASSWORD):
                page.goto(f"{live_server.url}/admin/login/")
                page.fill("#id_username", "ops")
                page.fill("#id_password", password)
                with page.expect_response(lambda answer: answer.request.method == "POST") as answered:
                    page.click("input[type=submit]")
            assert answered.value.status == 429
            assert "Too many failed sign-ins" in page.locator(".errornote").inner_text()
            page.screenshot(path=str(artifacts / "signin-throttled.png"), full_page=True)
        finally:
            browser.close()
