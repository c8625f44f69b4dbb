"""Every page carries a Content-Security-Policy (scripts from this server only, never inline)
and a Permissions-Policy, and still works under them in Chromium: Swagger UI lists the
operations, the admin's lot list and melt form run their scripts, the home page and the auditor
view show; the browser reports no violation. (The passport page's charts, its Verify button and
its print have their own browser tests, which fail on any console error, a violation included.)
Screenshots go to tests/artifacts/."""

import pytest
from playwright.sync_api import sync_playwright

from accounts.services import user_create
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.test_passport_browser import TIMEOUT_MS, _watch
from tests.passports.test_passport_page import record_wheel_history

PASSWORD = "ops-keeps-it-running"


def test_every_response_carries_both_policies(db, client):
    for url in ("/", "/api/docs/", "/admin/login/", "/api/v1/lots/", "/healthz"):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert (
            "script-src 'self'" in policy
            and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        )
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert "camera=()" in response["Permissions-Policy"], url


@pytest.mark.django_db(transaction=True)
def test_swagger_ui_the_admin_and_the_pages_work_under_the_policies(
    live_server, cast, chromium_executable, artifacts
):
    record_wheel_history(cast)
    ops = user_create(username="ops", organisation=cast["remelt-ops"], password=PASSWORD, is_staff=True)
    ops.is_superuser = True
    ops.save(update_fields=["is_superuser"])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            violations: list[str] = []
            page.expose_function("reportViolation", lambda text: violations.append(text))
            page.add_init_script(
                "document.addEventListener('securitypolicyviolation',"
                " e => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));"
            )
            problems = _watch(page)

            page.goto(live_server.url + "/api/docs/")
            page.wait_for_selector(".swagger-ui .opblock", timeout=TIMEOUT_MS)
            assert page.locator(".swagger-ui .opblock").count() >= 10
            page.screenshot(path=str(artifacts / "policies-swagger-ui.png"))

            page.goto(live_server.url + "/admin/login/")
            page.fill("#id_username", "ops")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_selector("#site-name", timeout=TIMEOUT_MS)
            page.goto(live_server.url + "/admin/ledger/lot/")
            page.wait_for_selector("#result_list", timeout=TIMEOUT_MS)
            page.screenshot(path=str(artifacts / "policies-admin-lots.png"))
            page.goto(live_server.url + "/admin/ledger/lot/record/melt/")
            # select2 (the admin's autocomplete) is drawn by a script: it ran.
            page.wait_for_selector(".select2-container", timeout=TIMEOUT_MS)
            page.screenshot(path=str(artifacts / "policies-admin-melt.png"))

            page.goto(live_server.url + "/")
            page.goto(live_server.url + "/audit/?q=W")
            page.screenshot(path=str(artifacts / "policies-audit.png"))

            assert violations == []
            # The admin's pages name no icon, so Chromium asks for /favicon.ico: not a policy's doing.
            assert [problem for problem in problems if "/favicon.ico" not in problem] == []
        finally:
            browser.close()
