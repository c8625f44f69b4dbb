"""Importing a weighbridge export in the admin in a real browser: a file with mistakes comes back
with every row's errors, the corrected file records its receipts. Screenshots go to
tests/artifacts/."""

import pytest
from playwright.sync_api import expect, sync_playwright

from accounts.services import user_create
from ledger.models import Entry
from tests.browser.conftest import CHROMIUM_ARGS

PASSWORD = "staff-imports-receipts"
HEADER = "Ticket,Weighed at,Plate,Supplier name,Grade,Category,Gross kg,Tare kg,Distance km,Mode"
ROWS = [
    "WB-4711,2026-11-20 07:30,GD-A1234,guangfa-scrap,ISRI Tense,post_consumer,32150,13900,180,truck",
    "WB-4712,2026-11-20 09:05,GD-B5555,lianhe-elv,ISRI Troma,post_consumer,28000.5,12000,95,truck",
    "WB-4713,2026-11-20 10:40,GD-C7777,jinghua-diecast,A380 runners,pre_consumer,21000,9000,600,rail",
]


@pytest.mark.django_db(transaction=True)
def test_staff_import_a_weighbridge_export(live_server, cast, chromium_executable, artifacts, tmp_path):
    ops = user_create(username="ops", organisation=cast["remelt-ops"], password=PASSWORD, is_staff=True)
    ops.is_superuser = True
    ops.save(update_fields=["is_superuser"])
    bad = tmp_path / "wb-2026-11-20.csv"
    bad.write_text(
        "\n".join(
            [HEADER, ROWS[0], ROWS[1].replace("post_consumer", "household"), ROWS[2].replace("21000", "8000")]
        )
        + "\n"
    )
    good = tmp_path / "wb-2026-11-20-fixed.csv"
    good.write_text("\n".join([HEADER, *ROWS]) + "\n")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
            page.set_default_timeout(20_000)
            page.goto(f"{live_server.url}/admin/login/?next=/admin/")
            page.fill("#id_username", "ops")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.get_by_role("link", name="Import a weighbridge export").click()
            page.select_option("#id_organisation", label="Alurec")
            page.fill("#id_timezone", "Asia/Shanghai")
            page.set_input_files("#id_file", str(bad))
            page.click("input[name=_import]")
            expect(page.locator("#import-errors")).to_contain_text("2 rows of wb-2026-11-20.csv have errors")
            expect(page.locator("#import-errors tbody tr")).to_have_count(2)
            page.screenshot(path=str(artifacts / "admin-import-refused.png"), full_page=True)

            page.set_input_files("#id_file", str(good))
            page.click("input[name=_import]")
            expect(page.locator(".messagelist .success")).to_contain_text(
                "3 scrap receipts recorded for Alurec"
            )
            expect(page.locator("#content")).to_contain_text("WB-4713")
            page.screenshot(path=str(artifacts / "admin-import-recorded.png"), full_page=True)
        finally:
            browser.close()

    assert Entry.objects.filter(type="scrap.received").count() == 3
